import {
  type AttentionDims,
  attentionDims,
  type BlockSparseAttentionAttrs,
  blockSparseAttentionKernel,
  InvalidArgumentError,
  type RopeAttrs,
  type TernaryMatMulAttrs,
  ternaryWordsPerRow,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';

const warned = new Set<string>();

/**
 * Runs a contract's reference inside a backend kernel for inputs the kernel does not handle (an invalid
 * call, whose error the reference raises, or a shape past the kernel's limits), warning once per kernel,
 * backend and reason. The reference returns a tensor, which tfjs's engine accepts as a kernel output.
 *
 * @example
 * ```ts
 * if (d + dv > 4096) return referenceFallback(fusedAttentionKernel, 'webgpu', 'head dim > 4095', inputs, attrs);
 * ```
 */
export function referenceFallback<Inputs, Attrs, Output extends tf.Tensor | tf.Tensor[] = tf.Tensor>(
  contract: { name: string; reference: (inputs: Inputs, attrs: Attrs) => Output },
  backendName: string,
  reason: string,
  inputs: unknown,
  attrs: unknown,
): Output {
  const key = `${contract.name}/${backendName}/${reason}`;
  if (!warned.has(key)) {
    warned.add(key);
    console.warn(`${contract.name} on ${backendName}: ${reason}; running the tfjs-ops reference instead.`);
  }
  return contract.reference(inputs as Inputs, attrs as Attrs);
}

/** A float32 tensor of rank 4 (the attention inputs the kernels take). */
export function isFloat4D(x: unknown): x is tf.TensorInfo & { shape: [number, number, number, number] } {
  const t = x as tf.TensorInfo | undefined;
  return (
    t !== undefined && t !== null && t.dtype === 'float32' && Array.isArray(t.shape) && t.shape.length === 4
  );
}

/**
 * Core's {@link attentionDims} for a kernel that falls back rather than throws: the dims when the inputs
 * follow its rules, else undefined (the kernel then runs the reference, which raises that same error).
 *
 * @example
 * ```ts
 * const dims = attentionDimsOrUndefined(fusedAttentionKernel.name, q, k, v);
 * if (dims === undefined) return referenceFallback(fusedAttentionKernel, 'webgl', 'invalid inputs', inputs, attrs);
 * ```
 */
export function attentionDimsOrUndefined(
  fn: string,
  q: unknown,
  k: unknown,
  v: unknown,
): AttentionDims | undefined {
  try {
    return attentionDims(fn, q, k, v);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return undefined;
    throw error;
  }
}

// Shape facts shared by a kernel's `webgl` and `webgpu` files. They live here, backend-neutral, so that
// `kernels/<kernel>/webgl.ts` never imports its `webgpu.ts` sibling (and `/webgl` never bundles WGSL).

/** `t` has dtype `dtype` and shape `shape` (an entry < 0 matches any size). */
function tensorHas(t: tf.TensorInfo | undefined, dtype: string, shape: readonly number[]): boolean {
  return (
    t !== undefined &&
    t.dtype === dtype &&
    t.shape.length === shape.length &&
    shape.every((s, i) => s < 0 || t.shape[i] === s)
  );
}

/** Shape facts the GPU block-sparse programs (WGSL and GLSL) are compiled for. */
export interface BlockSparseAttentionShape {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
  blockSize: number;
  /** Mask batch `Bm` (1 or batch) and heads `Hm` (1 or heads). */
  maskBatch: number;
  maskHeads: number;
  maxKv: number;
  maxFullKv: number;
}

/**
 * The GPU programs' shape for an `EABlockSparseAttention` call when the mask tensors have the contract's
 * shapes, else undefined (the kernels then run the reference, which raises the error).
 *
 * @example
 * ```ts
 * const shape = blockSparseShape(inputs, attrs as BlockSparseAttentionAttrs);
 * ```
 */
export function blockSparseShape(
  inputs: tf.NamedTensorInfoMap,
  attrs: BlockSparseAttentionAttrs,
): BlockSparseAttentionShape | undefined {
  const dims = attentionDimsOrUndefined(blockSparseAttentionKernel.name, inputs.q, inputs.k, inputs.v);
  const { blockSize, qLen, kvLen, scale } = attrs;
  if (dims === undefined || typeof scale !== 'number' || !Number.isInteger(blockSize) || blockSize < 1) {
    return undefined;
  }
  if (qLen !== dims.qLen || kvLen !== dims.kvLen) return undefined;
  const num = inputs.kvNumBlocks;
  if (num === undefined || num.shape.length !== 3) return undefined;
  const [maskBatch, maskHeads] = num.shape as [number, number, number];
  if ((maskBatch !== 1 && maskBatch !== dims.batch) || (maskHeads !== 1 && maskHeads !== dims.heads)) {
    return undefined;
  }
  const rows = [maskBatch, maskHeads, Math.ceil(qLen / blockSize)];
  const ok =
    tensorHas(num, 'int32', rows) &&
    tensorHas(inputs.fullKvNumBlocks, 'int32', rows) &&
    tensorHas(inputs.partialMaskOffsets, 'int32', rows) &&
    tensorHas(inputs.kvIndices, 'int32', [...rows, -1]) &&
    tensorHas(inputs.fullKvIndices, 'int32', [...rows, -1]) &&
    tensorHas(inputs.partialMasks, 'int32', [-1, blockSize, Math.ceil(blockSize / 32)]);
  if (!ok) return undefined;
  return {
    ...dims,
    blockSize,
    maskBatch,
    maskHeads,
    maxKv: inputs.kvIndices!.shape[3]!,
    maxFullKv: inputs.fullKvIndices!.shape[3]!,
  };
}

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
  const table = (t: tf.TensorInfo | undefined) => tensorHas(t, 'float32', [seq, rotaryDim / 2]);
  if (!table(cos) || !table(sin)) return undefined;
  return { shape: x.shape, layout, rotaryDim };
}

/** Largest K whose int8 × ternary sums stay exact in float32 after the integer accumulation (as core's reference). */
const MAX_EXACT_TERNARY_K = 2 ** 24 / 128;

/**
 * The shape of a ternary matmul call the GPU kernels take — activations int32 `[m, k]`, weights int32
 * `[n, words]`, scalar weight scale, activation scales `[m]`, `1 ≤ k ≤ 2^24/128`, m ≥ 1 — or undefined (the
 * caller then runs the reference, which raises the validation error).
 *
 * @example
 * ```ts
 * const shape = ternaryMatMulShape(inputs, attrs);
 * if (shape === undefined) return referenceFallback(ternaryMatMulKernel, 'webgpu', 'invalid', inputs, attrs);
 * ```
 */
export function ternaryMatMulShape(
  inputs: Record<string, tf.TensorInfo | undefined>,
  attrs: unknown,
): { m: number; k: number; n: number; words: number; format: TernaryMatMulAttrs['format'] } | undefined {
  const { k, n, format } = (attrs ?? {}) as Partial<TernaryMatMulAttrs>;
  const a = inputs.activations;
  const valid =
    typeof k === 'number' &&
    Number.isInteger(k) &&
    k >= 1 &&
    k <= MAX_EXACT_TERNARY_K &&
    typeof n === 'number' &&
    Number.isInteger(n) &&
    n >= 1 &&
    (format === 'i2s' || format === 'tq1') &&
    a !== undefined &&
    a.shape.length === 2;
  if (!valid) return undefined;
  const m = a.shape[0]!;
  const words = ternaryWordsPerRow(k, format);
  const shapesOk =
    tensorHas(a, 'int32', [m, k]) &&
    tensorHas(inputs.weights, 'int32', [n, words]) &&
    tensorHas(inputs.weightScale, 'float32', []) &&
    tensorHas(inputs.activationScales, 'float32', [m]);
  return shapesOk && m > 0 ? { m, k, n, words, format } : undefined;
}
