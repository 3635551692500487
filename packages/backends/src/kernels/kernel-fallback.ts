import { type AttentionDims, attentionDims, InvalidArgumentError } from '@efficient-attention/core';
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
