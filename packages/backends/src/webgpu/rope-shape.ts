import type { RopeAttrs } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { isFloat4D } from './kernel-fallback.js';

/** Shape facts of an `EARope` call, shared by the WGSL and GLSL programs. */
export interface RopeShape {
  /** x's shape `[B, H, S, D]`. */
  shape: [number, number, number, number];
  layout: RopeAttrs['layout'];
  rotaryDim: number;
}

/**
 * The shape facts when the inputs are what `EARope` takes — x `[B, H, S, D]` float32 with D even, `cos`
 * and `sin` float32 `[S, rotaryDim / 2]`, `rotaryDim` even in [2, D], a known layout — else undefined
 * (the kernels then run the reference, which raises the error).
 *
 * @example
 * ```ts
 * const shape = ropeShape(inputs, { layout: 'half-split', rotaryDim: 64 });
 * ```
 */
export function ropeShape(inputs: tf.NamedTensorInfoMap, attrs: Partial<RopeAttrs>): RopeShape | undefined {
  const { x, cos, sin } = inputs;
  const { layout, rotaryDim } = attrs;
  if (!isFloat4D(x) || (layout !== 'half-split' && layout !== 'interleaved')) return undefined;
  const [, , seq, headDim] = x.shape;
  if (typeof rotaryDim !== 'number' || !Number.isInteger(rotaryDim) || rotaryDim < 2 || rotaryDim % 2 !== 0) {
    return undefined;
  }
  if (headDim % 2 !== 0 || rotaryDim > headDim) return undefined;
  const table = (t: tf.TensorInfo | undefined) =>
    t !== undefined &&
    t.dtype === 'float32' &&
    t.shape.length === 2 &&
    t.shape[0] === seq &&
    t.shape[1] === rotaryDim / 2;
  if (!table(cos) || !table(sin)) return undefined;
  return { shape: x.shape, layout, rotaryDim };
}
