import {
  assertKnownOptions,
  assertNumber,
  InvalidArgumentError,
  type ScoreMod,
  scoreMod,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { BiasEncoding, BiasOptions } from './types.js';

/** A block of the bias: query rows `[qStart, qStart + rows)` (already shifted by the query offset), keys, heads. */
export interface BiasBlock {
  qStart: number;
  rows: number;
  kvStart: number;
  cols: number;
  headStart: number;
  headCount: number;
}

/** What a bias encoding provides; {@link biasEncoding} adds validation, `bias` and `scoreMod`. */
export interface BiasSpec {
  /** The public function name, for error messages. */
  fn: string;
  name: string;
  heads: number;
  variables: Readonly<Record<string, tf.Variable>>;
  /** The bias of a block as `[headCount, rows, cols]`, from tfjs ops (differentiable in the variables). */
  block(block: BiasBlock): tf.Tensor3D;
  /** The bias of one (head, query position, key position) as a number; reads the current variable values. */
  scalar(head: number, qPosition: number, kvPosition: number): number;
  dispose(): void;
}

/**
 * Builds the {@link BiasEncoding} object around a block function: `bias(qLen, kvLen)` is one block over
 * everything, `scoreMod()` adds the block of each score block attention hands it (by
 * `ScoreModContext`), and its scalar form adds `spec.scalar`.
 */
export function biasEncoding(spec: BiasSpec): BiasEncoding {
  const { fn, heads } = spec;
  const offsetOf = (method: string, options: BiasOptions | undefined): number => {
    assertKnownOptions(`${fn}.${method}`, options, ['queryOffset']);
    const queryOffset = options?.queryOffset ?? 0;
    assertNumber(`${fn}.${method}`, 'options.queryOffset', queryOffset, { integer: true });
    return queryOffset;
  };
  return Object.freeze({
    kind: 'bias' as const,
    name: spec.name,
    heads,
    variables: Object.freeze({ ...spec.variables }),
    bias(qLen: number, kvLen: number, options?: BiasOptions): tf.Tensor3D {
      assertNumber(`${fn}.bias`, 'qLen', qLen, { integer: true, min: 1 });
      assertNumber(`${fn}.bias`, 'kvLen', kvLen, { integer: true, min: 1 });
      const queryOffset = offsetOf('bias', options);
      return tf.tidy(() =>
        spec.block({
          qStart: queryOffset,
          rows: qLen,
          kvStart: 0,
          cols: kvLen,
          headStart: 0,
          headCount: heads,
        }),
      );
    },
    scoreMod(options?: BiasOptions): ScoreMod {
      const queryOffset = offsetOf('scoreMod', options);
      return scoreMod({
        name: spec.name,
        scalar: (score, _b, h, q, kv) => {
          if (!(h >= 0 && h < heads)) {
            throw new InvalidArgumentError(
              `${fn} score modifier`,
              'head',
              `an index < ${heads} (the encoding's heads)`,
              h,
            );
          }
          return score + spec.scalar(h, q + queryOffset, kv);
        },
        tensor: (scores, ctx) => {
          const [, headCount, rows, cols] = scores.shape as [number, number, number, number];
          if (ctx.headStart + headCount > heads) {
            throw new InvalidArgumentError(
              `${fn} score modifier`,
              'scores.shape[1] (heads)',
              `heads ${ctx.headStart} … ${ctx.headStart + headCount - 1} to exist: the encoding has ${heads}`,
              scores,
            );
          }
          const block = spec.block({
            qStart: ctx.qStart + queryOffset,
            rows,
            kvStart: ctx.kvStart,
            cols,
            headStart: ctx.headStart,
            headCount,
          });
          return tf.add(scores, tf.expandDims(block, 0));
        },
      });
    },
    dispose: spec.dispose,
  });
}
