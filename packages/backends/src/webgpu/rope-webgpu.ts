import { type RopeAttrs, ropeKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { referenceFallback } from './kernel-fallback.js';
import { RopeProgram } from './rope-program.js';
import { ropeShape } from './rope-shape.js';
import { MAX_WORKGROUPS_PER_DIMENSION, type WebGPUBackendLike } from './webgpu-program.js';

/**
 * The `webgpu` kernel of core's `EARope` (RoFormer, https://arxiv.org/abs/2104.09864): one WGSL pass,
 * see {@link RopeProgram}. Inputs the kernel does not take run core's reference (which raises the error),
 * with a one-time warning. Forward only: gradients go through the reference's custom gradient.
 *
 * @example
 * ```ts
 * tf.registerKernel(ropeWebGPU);
 * const y = ropeKernel.run({ x, cos, sin }, { layout: 'half-split', rotaryDim: 64 });
 * ```
 */
export const ropeWebGPU: tf.KernelConfig = {
  kernelName: ropeKernel.name,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const shape = ropeShape(inputs, (attrs ?? {}) as Partial<RopeAttrs>);
    const fallback = (reason: string) => referenceFallback(ropeKernel, 'webgpu', reason, inputs, attrs);
    if (shape === undefined)
      return fallback('inputs the kernel does not take (the reference validates them)');
    const program = new RopeProgram(shape);
    if (program.dispatch[1] > MAX_WORKGROUPS_PER_DIMENSION)
      return fallback('more workgroups than one dispatch allows');
    return (backend as WebGPUBackendLike).runWebGPUProgram(
      program,
      [inputs.x!, inputs.cos!, inputs.sin!],
      'float32',
    );
  },
};
