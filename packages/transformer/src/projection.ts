import { bitLinear, weightBytes } from '@efficient-attention/bitnet';
import { seededNormal } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { trainableVariable } from './trainable-variable.js';

/** A bias-free linear map `[..., dIn] → [..., dOut]` with float or BitNet b1.58 weights. */
export interface Projection {
  readonly kind: 'float' | 'bitnet';
  readonly dIn: number;
  readonly dOut: number;
  /** Latent float weights `[dIn, dOut]` (ternarised on the fly for `bitnet`). */
  readonly weight: tf.Variable;
  /** BitNet only: the gain `[dIn]` of the RMSNorm BitLinear applies before quantising its input. */
  readonly gain?: tf.Variable;
  /** Variables by local name (`weight`, `gain`). */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  apply(x: tf.Tensor): tf.Tensor;
  /** Bytes of the weights as trained (fp32) and as deployed (packed 2-bit ternary + scale for `bitnet`). */
  bytes(): { float32: number; deployed: number };
  dispose(): void;
}

/**
 * A projection of a transformer layer. `float`: `x·W` with W ~ N(0, 1/dIn) (2-D matMuls: wasm's fast path).
 * `bitnet`: bitnet's functional BitLinear (Ma et al. 2024, https://arxiv.org/abs/2402.17764): RMSNorm with
 * a learned gain, per-token int8 activations and ternary weights, with straight-through gradients.
 *
 * @example
 * ```ts
 * const q = createProjection(32, 32, 'bitnet', 7);
 * const y = q.apply(x); // x [batch, seq, 32] → [batch, seq, 32]
 * q.dispose();
 * ```
 */
export function createProjection(
  dIn: number,
  dOut: number,
  kind: 'float' | 'bitnet',
  seed: number,
): Projection {
  const weight = trainableVariable(() => seededNormal([dIn, dOut], seed, 1 / Math.sqrt(dIn)));
  const gain = kind === 'bitnet' ? trainableVariable(() => tf.ones([dIn])) : undefined;
  const variables: Record<string, tf.Variable> = gain === undefined ? { weight } : { weight, gain };
  return {
    kind,
    dIn,
    dOut,
    weight,
    ...(gain === undefined ? {} : { gain }),
    variables,
    apply(x: tf.Tensor): tf.Tensor {
      if (gain !== undefined) return bitLinear(x, weight, { gain });
      return tf.tidy(() => {
        const rows = tf.reshape(x, [-1, dIn]);
        return tf.reshape(tf.matMul(rows, weight), [...x.shape.slice(0, -1), dOut]);
      });
    },
    bytes() {
      const float32 = 4 * weight.size + (gain === undefined ? 0 : 4 * gain.size);
      if (gain === undefined) return { float32, deployed: float32 };
      // A BitLinear weight [dIn, dOut] packs as dOut rows of dIn ternary weights (bitnet's i2s format).
      return { float32, deployed: weightBytes(weight.size, 'i2s', { rowLength: dIn }) + 4 * gain.size };
    },
    dispose() {
      weight.dispose();
      gain?.dispose();
    },
  };
}
