import { ternaryMatMulKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { referenceFallback, ternaryMatMulShape } from '../webgpu/kernel-fallback.js';
import { hasFloat32Textures, int32Halves, type WebGLBackendData } from './int32-halves.js';
import { TernaryMatMulGLSLProgram } from './ternary-matmul-program.js';

/**
 * The `webgl` kernel of core's `EATernaryMatMul` (BitNet b1.58, https://arxiv.org/abs/2402.17764): see
 * {@link TernaryMatMulGLSLProgram}. tfjs-webgl keeps int32 tensors in float32 textures, which round packed
 * words above 2^24, so the kernel reads the weights' exact CPU copy (tfjs uploads lazily: a weight built
 * from an `Int32Array` still has it on first use), repacks each word into two 16-bit halves once, and
 * caches the repacked texture per weight (see {@link int32Halves}). Weights without a CPU copy (computed
 * on the GPU, or already uploaded by another op), float16 textures and invalid inputs run core's
 * reference (which raises the validation errors; on such weights it is inexact too), with a one-time
 * warning. Forward only.
 *
 * @example
 * ```ts
 * tf.registerKernel(ternaryMatMulWebGL);
 * // From an Int32Array (bitnet's packTernary(t, 'i2s', { rowLength: 2048 }).words): stays on the CPU until used.
 * const weights = tf.tensor2d(packed.words, [512, 128], 'int32');
 * const y = ternaryMatMulKernel.run({ activations, weights, weightScale, activationScales },
 *   { k: 2048, n: 512, format: 'i2s' });
 * ```
 */
export const ternaryMatMulWebGL: tf.KernelConfig = {
  kernelName: ternaryMatMulKernel.name,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const fallback = (reason: string) =>
      referenceFallback(ternaryMatMulKernel, 'webgl', reason, inputs, attrs);
    const shape = ternaryMatMulShape(inputs, attrs);
    if (shape === undefined)
      return fallback('inputs the kernel does not take (the reference validates them)');
    const gl = backend as WebGLBackendData;
    if (!hasFloat32Textures()) return fallback('float16 textures cannot hold 16-bit halves exactly');
    const halves = int32Halves(gl, inputs.weights!);
    if (halves === undefined) {
      return fallback(
        'the packed weights have no exact CPU copy (computed on the GPU or already uploaded to a float32 ' +
          'texture, which rounds words above 2^24): create them from an Int32Array and pass them to this ' +
          'kernel first',
      );
    }
    return gl.runWebGLProgram(
      new TernaryMatMulGLSLProgram(shape),
      [inputs.activations!, halves, inputs.weightScale!, inputs.activationScales!],
      'float32',
    );
  },
};
