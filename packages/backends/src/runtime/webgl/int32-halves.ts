import * as tf from '@tensorflow/tfjs-core';
import type { WebGLBackendLike } from './webgl-program.js';

/**
 * The parts of tfjs-backend-webgl's `MathBackendWebGL` (4.22) {@link int32Halves} reads: `texData` holds
 * each tensor's CPU `values` until its first upload (then `texture` is set and `values` dropped, or later
 * refilled from a float32 read-back, which is lossy for int32 above 2^24).
 */
export interface WebGLBackendData extends WebGLBackendLike {
  texData: { get(dataId: object): { values?: unknown; texture?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/**
 * Repacked tensors per source `dataId`. An entry, and its texture, live as long as the source's `dataId`
 * object: when that is garbage-collected (after the source tensor is disposed and dropped), the registry
 * disposes the repacked data. Packed weights and compiled masks are long-lived, so this trades one extra
 * texture per tensor (2× its int32 size) for repacking once.
 */
const repacked = new WeakMap<object, tf.TensorInfo>();
const disposeRepacked = new FinalizationRegistry<{ backend: WebGLBackendData; dataId: object }>(
  ({ backend, dataId }) => backend.disposeData(dataId, true),
);

/**
 * Whether tfjs-webgl stores float32 textures, which hold 16-bit integers exactly. (tfjs's own
 * `floatPrecision()` reports 16 exactly when float32 rendering is on, so the flags are read instead.)
 */
export function hasFloat32Textures(): boolean {
  return tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') && !tf.env().getBool('WEBGL_FORCE_F16_TEXTURES');
}

/**
 * An int32 tensor `[..., n]` of 32-bit words (packed ternary codes, bitmasks) as float32 `[..., 2n]`: the
 * low then the high 16 bits of each word, exact in a float32 texture (a word above 2^24 is not: tfjs-webgl
 * keeps int32 in float32 textures). Read from the tensor's exact CPU copy — tfjs uploads lazily, so a
 * tensor built from an `Int32Array` still has it on first use — and cached per `dataId` (a backend-level
 * tensor, not counted by `tf.memory().numTensors`). Undefined when there is no exact CPU copy (the tensor
 * was computed on the GPU, or already uploaded): the caller falls back.
 *
 * @example
 * ```ts
 * const halves = int32Halves(backend, inputs.weights); // float32 [N, 2·words]
 * if (halves === undefined) return referenceFallback(kernel, 'webgl', 'no exact CPU copy', inputs, attrs);
 * ```
 */
export function int32Halves(backend: WebGLBackendData, x: tf.TensorInfo): tf.TensorInfo | undefined {
  const cached = repacked.get(x.dataId);
  if (cached !== undefined) return cached;
  const data = backend.texData.get(x.dataId);
  if (data === undefined || data.texture != null || !(data.values instanceof Int32Array)) return undefined;
  const words = data.values;
  const halves = new Float32Array(2 * words.length);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    halves[2 * i] = w & 0xffff;
    halves[2 * i + 1] = (w >>> 16) & 0xffff;
  }
  const shape = [...x.shape];
  shape[shape.length - 1] = 2 * (shape[shape.length - 1] ?? 1);
  const info = backend.makeTensorInfo(shape, 'float32', halves);
  repacked.set(x.dataId, info);
  disposeRepacked.register(x.dataId, { backend, dataId: info.dataId });
  return info;
}
