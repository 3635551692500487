import { median } from '@efficient-attention/bench/median';
import { packTernary, quantizeWeights, ternaryGemm } from '@efficient-attention/bitnet';
import { createRandom, seededNormal } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { MatmulTiming } from './protocol.js';

/**
 * Shortest time one sample spans: browsers coarsen `performance.now` (to 0.1 ms in a page that is not
 * cross-origin isolated), so a sub-0.1 ms product timed once reads 0. Each sample repeats the call until this
 * much time has passed and reports ms per call.
 */
const MIN_SAMPLE_MS = 5;

/** Median ms per call of `repeats` samples after one warm-up (each sample ≥ {@link MIN_SAMPLE_MS}). */
async function medianTime(repeats: number, run: () => Promise<void>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      await run();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < MIN_SAMPLE_MS);
    times.push(elapsed / calls);
  }
  return median(times);
}

/**
 * Times a [1, K] × [K, N] product (K = N = `size`) as a float32 tfjs `matMul` on the active backend and as
 * bitnet's multiplication-free `ternaryGemm` over the same weights ternarized and packed at 2 bits.
 */
export async function matmulTiming(size: number, repeats: number): Promise<MatmulTiming> {
  const w = seededNormal([size, size], 7, 0.02);
  const x = seededNormal([1, size], 8);
  try {
    const floatMs = await medianTime(repeats, async () => {
      const y = tf.matMul(x, w);
      await y.data();
      y.dispose();
    });
    // ternaryGemm wants W [K, N] as N packed rows: row n is column n of W.
    const { values, scale } = quantizeWeights(tf.transpose(w) as tf.Tensor2D);
    const trits = Int32Array.from(await values.data());
    tf.dispose([values, scale]);
    const packed = packTernary(trits, 'i2s', { rowLength: size });
    const random = createRandom(9);
    const activations = Int32Array.from({ length: size }, () => random.int(255) - 127);
    const out = new Int32Array(size);
    const ternaryMs = await medianTime(repeats, async () => {
      ternaryGemm({ activations, weights: packed.words, m: 1, k: size, n: size, format: 'i2s', out });
    });
    return {
      size,
      floatMs,
      ternaryMs,
      floatBytes: 4 * size * size,
      ternaryBytes: packed.words.byteLength + 4,
      backend: tf.getBackend(),
    };
  } finally {
    tf.dispose([w, x]);
  }
}
