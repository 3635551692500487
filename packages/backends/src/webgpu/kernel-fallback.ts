import { type TernaryMatMulAttrs, ternaryWordsPerRow } from '@efficient-attention/core';
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
export function referenceFallback<Inputs, Attrs>(
  contract: { name: string; reference: (inputs: Inputs, attrs: Attrs) => tf.Tensor },
  backendName: string,
  reason: string,
  inputs: unknown,
  attrs: unknown,
): tf.Tensor {
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

/** Attention dims of q `[B, H, N, d]`, k `[B, Hkv, M, d]`, v `[B, Hkv, M, dv]`, or undefined when they do not fit. */
export function attentionDims(
  q: unknown,
  k: unknown,
  v: unknown,
):
  | {
      batch: number;
      heads: number;
      kvHeads: number;
      qLen: number;
      kvLen: number;
      headDim: number;
      valueDim: number;
    }
  | undefined {
  if (!isFloat4D(q) || !isFloat4D(k) || !isFloat4D(v)) return undefined;
  const [batch, heads, qLen, headDim] = q.shape;
  const [kb, kvHeads, kvLen, kd] = k.shape;
  const [vb, vh, vLen, valueDim] = v.shape;
  const ok =
    kb === batch &&
    vb === batch &&
    vh === kvHeads &&
    vLen === kvLen &&
    kd === headDim &&
    kvHeads > 0 &&
    heads % kvHeads === 0 &&
    qLen > 0 &&
    kvLen > 0 &&
    headDim > 0 &&
    valueDim > 0;
  return ok ? { batch, heads, kvHeads, qLen, kvLen, headDim, valueDim } : undefined;
}

/** Largest K whose int8 × ternary sums stay exact in float32 after the integer accumulation (as core's reference). */
const MAX_EXACT_TERNARY_K = 2 ** 24 / 128;

function isTensor(t: tf.TensorInfo | undefined, dtype: string, shape: number[]): boolean {
  return (
    t !== undefined &&
    t.dtype === dtype &&
    t.shape.length === shape.length &&
    shape.every((s, i) => t.shape[i] === s)
  );
}

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
    isTensor(a, 'int32', [m, k]) &&
    isTensor(inputs.weights, 'int32', [n, words]) &&
    isTensor(inputs.weightScale, 'float32', []) &&
    isTensor(inputs.activationScales, 'float32', [m]);
  return shapesOk && m > 0 ? { m, k, n, words, format } : undefined;
}
