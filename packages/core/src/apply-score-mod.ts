import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';
import type { ScoreMod, ScoreModContext } from './types.js';

/** Where a 4-D block of scores sits; see {@link ScoreModContext}. */
export interface ScoreBlock {
  batchStart: number;
  headStart: number;
  qStart: number;
  kvStart: number;
  qLen: number;
  kvLen: number;
}

/**
 * Applies a score modifier to a `[nb, nh, rows, cols]` block of scores. Uses the tensor form when the
 * modifier has one (differentiable); otherwise evaluates the scalar form on the CPU (no gradient flows
 * through it: documented on every attention function).
 *
 * @example
 * ```ts
 * const block = { batchStart: 0, headStart: 0, qStart: 0, kvStart: 0, qLen: 4, kvLen: 4 };
 * const modified = applyScoreMod('myAttention', alibiLike, scores4d, block);
 * ```
 */
export function applyScoreMod(fn: string, mod: ScoreMod, scores: tf.Tensor, block: ScoreBlock): tf.Tensor {
  if (mod === null || typeof mod !== 'object' || mod.kind !== 'score-mod') {
    throw new InvalidArgumentError(
      fn,
      'options.scoreMod',
      'a ScoreMod built with scoreMod({ name, scalar, tensor })',
      mod,
    );
  }
  const [nb, nh, rows, cols] = scores.shape as [number, number, number, number];
  if (mod.tensor !== undefined) {
    const ctx: ScoreModContext = {
      ...block,
      headCount: nh,
      qPositions: () =>
        tf.reshape(tf.range(block.qStart, block.qStart + rows, 1, 'float32'), [1, 1, rows, 1]),
      kvPositions: () =>
        tf.reshape(tf.range(block.kvStart, block.kvStart + cols, 1, 'float32'), [1, 1, 1, cols]),
    };
    const out = tf.tidy(() => mod.tensor!(scores, ctx));
    if (out.shape.length !== 4 || out.shape.some((s, i) => s !== scores.shape[i])) {
      throw new InvalidArgumentError(
        fn,
        `options.scoreMod (${mod.name}).tensor result`,
        `shape [${scores.shape.join(', ')}]`,
        out,
      );
    }
    return out;
  }
  const data = scores.dataSync();
  const out = new Float32Array(data.length);
  let idx = 0;
  for (let b = 0; b < nb; b++)
    for (let h = 0; h < nh; h++)
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++, idx++) {
          out[idx] = mod.scalar(
            data[idx]!,
            block.batchStart + b,
            block.headStart + h,
            block.qStart + i,
            block.kvStart + j,
          );
        }
  return tf.tensor(out, scores.shape, 'float32');
}
