import { type RopeAttrs, ropeKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { referenceFallback } from '../webgpu/kernel-fallback.js';
import { ropeShape } from '../webgpu/rope-shape.js';
import { RopeGLSLProgram } from './rope-program.js';
import type { WebGLBackendLike } from './webgl-program.js';

/**
 * The `webgl` kernel of core's `EARope` (RoFormer, https://arxiv.org/abs/2104.09864): one GLSL pass, see
 * {@link RopeGLSLProgram}. Inputs the kernel does not take run core's reference (which raises the
 * error), with a one-time warning. Forward only.
 *
 * @example
 * ```ts
 * tf.registerKernel(ropeWebGL);
 * const y = ropeKernel.run({ x, cos, sin }, { layout: 'interleaved', rotaryDim: 32 });
 * ```
 */
export const ropeWebGL: tf.KernelConfig = {
  kernelName: ropeKernel.name,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const shape = ropeShape(inputs, (attrs ?? {}) as Partial<RopeAttrs>);
    if (shape === undefined) {
      return referenceFallback(
        ropeKernel,
        'webgl',
        'inputs the kernel does not take (the reference validates them)',
        inputs,
        attrs,
      );
    }
    return (backend as WebGLBackendLike).runWebGLProgram(
      new RopeGLSLProgram(shape),
      [inputs.x!, inputs.cos!, inputs.sin!],
      'float32',
    );
  },
};
