import { ternaryWordsPerRow } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

/** xorshift32: deterministic words and activations. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/**
 * Random inputs of a ternary matmul case for the kernels' tests: random packed words (every code, including
 * those no packer emits: i2s code 3, tq1 bytes ≥ 243) and activations `activation(u32)` (default: int8).
 */
export function ternaryInputs(
  c: { m: number; k: number; n: number; format: 'i2s' | 'tq1' },
  seed: number,
  activation = (x: number) => (x % 256) - 128,
) {
  const next = random(seed);
  const words = ternaryWordsPerRow(c.k, c.format);
  return {
    activations: tf.tensor2d(
      Int32Array.from({ length: c.m * c.k }, () => activation(next())),
      [c.m, c.k],
      'int32',
    ),
    weights: tf.tensor2d(
      Int32Array.from({ length: c.n * words }, () => next() | 0),
      [c.n, words],
      'int32',
    ),
    weightScale: tf.scalar(0.37),
    activationScales: tf.tensor1d(Float32Array.from({ length: c.m }, () => (next() % 1000) / 997)),
  };
}
