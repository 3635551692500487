import {
  assertKnownOptions,
  assertLiveTensor,
  assertNumber,
  InvalidArgumentError,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { AdditiveEncoding, AdditiveOptions } from './types.js';

/** What an additive encoding provides; {@link additiveEncoding} adds validation and `apply`. */
export interface AdditiveSpec {
  /** The public function name, for error messages. */
  fn: string;
  name: string;
  dim: number;
  variables: Readonly<Record<string, tf.Variable>>;
  /** The `[length, dim]` rows of positions `offset … offset + length − 1` (arguments already validated). */
  table: (length: number, offset: number) => tf.Tensor2D;
  dispose: () => void;
}

/**
 * Builds the {@link AdditiveEncoding} object around a table function: validates the arguments of
 * `encode` and `apply`, runs them in `tf.tidy`, and adds the table to embeddings `[batch, length, dim]`
 * or `[length, dim]` (broadcast over the batch).
 */
export function additiveEncoding(spec: AdditiveSpec): AdditiveEncoding {
  const { fn, dim } = spec;
  const offsetOf = (method: string, options: AdditiveOptions | undefined): number => {
    assertKnownOptions(`${fn}.${method}`, options, ['offset']);
    const offset = options?.offset ?? 0;
    assertNumber(`${fn}.${method}`, 'options.offset', offset, { integer: true, min: 0 });
    return offset;
  };
  return Object.freeze({
    kind: 'additive' as const,
    name: spec.name,
    dim,
    variables: Object.freeze({ ...spec.variables }),
    encode(length: number, options?: AdditiveOptions): tf.Tensor2D {
      assertNumber(`${fn}.encode`, 'length', length, { integer: true, min: 1 });
      const offset = offsetOf('encode', options);
      return tf.tidy(() => spec.table(length, offset));
    },
    apply(x: tf.Tensor, options?: AdditiveOptions): tf.Tensor {
      assertLiveTensor(`${fn}.apply`, 'x', x);
      const ok = x instanceof tf.Tensor && (x.rank === 2 || x.rank === 3) && x.shape[x.rank - 1] === dim;
      if (!ok || x.size === 0) {
        throw new InvalidArgumentError(
          `${fn}.apply`,
          'x',
          `a non-empty tensor [batch, length, ${dim}] or [length, ${dim}]`,
          x,
        );
      }
      if (x.dtype !== 'float32')
        throw new InvalidArgumentError(`${fn}.apply`, 'x.dtype', '"float32"', x.dtype);
      const offset = offsetOf('apply', options);
      return tf.tidy(() => tf.add(x, spec.table(x.shape[x.rank - 2]!, offset)));
    },
    dispose: spec.dispose,
  });
}
