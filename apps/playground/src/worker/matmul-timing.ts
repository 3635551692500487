import { median } from '@efficient-attention/bench/median';
import { packTernary, quantizeWeights, ternaryGemm } from '@efficient-attention/bitnet';
import { createRandom, seededNormal } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { MatmulTiming } from './protocol.js';

/** Median ms of `repeats` runs after one warm-up. */
async function medianTime(repeats: number, run: () => Promise<void>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
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
