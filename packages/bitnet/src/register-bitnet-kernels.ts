import { type TernaryMatMulAttrs, ternaryMatMulKernel } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { ternaryGemm } from './ternary-gemm.js';

/** The backend this package registers kernels for: its kernels are plain JS over typed arrays. */
const BACKEND = 'cpu';

/**
 * `EATernaryMatMul` for the `cpu` backend: {@link ternaryGemm}'s exact integer sums, then the two float32
 * scalings in the contract's order (activation scale, then weight scale), so the result equals core's
 * reference bit for bit. Inputs were validated by core's `ternaryMatMul`.
 */
const ternaryMatMulCpu: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as tf.KernelBackend;
  const { k, n, format } = attrs as unknown as TernaryMatMulAttrs;
  const read = (name: string) => backend.readSync((inputs[name] as tf.TensorInfo).dataId);
  const m = (inputs.activations as tf.TensorInfo).shape[0]!;
  const sums = ternaryGemm({
    activations: read('activations') as Int32Array,
    weights: read('weights') as Int32Array,
    m,
    k,
    n,
    format,
  });
  const activationScales = read('activationScales') as Float32Array;
  const weightScale = (read('weightScale') as Float32Array)[0]!;
  const out = new Float32Array(m * n);
  for (let row = 0; row < m; row++) {
    const s = activationScales[row]!;
    for (let col = 0; col < n; col++) {
      out[row * n + col] = Math.fround(sums[row * n + col]! * s) * weightScale;
    }
  }
  const dataId = backend.write(out, [m, n], 'float32');
  return { dataId, shape: [m, n], dtype: 'float32' };
};

/**
 * Registers this package's typed-array kernels with tfjs (explicitly: nothing registers on import):
 * `EATernaryMatMul` on the `cpu` backend, so core's `ternaryMatMul` and {@link bitLinearPacked} run the
 * multiplication-free {@link ternaryGemm} there (BitNet b1.58, https://arxiv.org/abs/2402.17764;
 * bitnet.cpp, https://arxiv.org/abs/2410.16144). Other backends keep core's reference (dequantise +
 * `matMul`) until `@efficient-attention/backends` registers theirs. Calling it again does nothing.
 *
 * @example
 * ```ts
 * import { registerBitnetKernels } from '@efficient-attention/bitnet';
 * registerBitnetKernels();
 * ```
 */
export function registerBitnetKernels(): void {
  if (tf.getKernel(ternaryMatMulKernel.name, BACKEND) !== undefined) return;
  tf.registerKernel({
    kernelName: ternaryMatMulKernel.name,
    backendName: BACKEND,
    kernelFunc: ternaryMatMulCpu,
  });
}
