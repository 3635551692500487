import { defineBenchSuite } from '@efficient-attention/bench';
import { packTernary, registerBitnetKernels, ternaryGemm, weightBytes } from '@efficient-attention/bitnet';
import { createRandom, type TernaryPackingFormat, ternaryMatMul } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

// GEMV of one int8 token against a ternary [K, N] weight matrix (a 2048-wide BitLinear projection), versus
// the pinned fp32 baseline: tfjs wasm `matMul` of [1, K] × [K, N] with no transpose flags (XNNPACK).
const K = 2048;
const N = 2048;
const OPS = 2 * K * N; // multiply-add counted as 2 ops for every variant, so GOPS compare like for like

function ternaryInputs(format: TernaryPackingFormat) {
  const rng = createRandom(7);
  const activations = Int32Array.from({ length: K }, () => rng.int(256) - 128);
  const columns = Int8Array.from({ length: N * K }, () => rng.int(3) - 1);
  return { activations, words: packTernary(columns, format, { rowLength: K }).words };
}

const params = (format: string) => ({
  M: 1,
  K,
  N,
  format,
  weightBytes:
    format === 'fp32'
      ? weightBytes(K * N, 'fp32')
      : weightBytes(K * N, format as TernaryPackingFormat, { rowLength: K }),
});

const wasmOnly = (why: string) => (backend: string) => (backend === 'wasm' ? undefined : why);

const gemv = (format: TernaryPackingFormat) => ({
  name: `ternaryGemm ${format}`,
  params: params(format),
  flops: OPS,
  iterations: 40,
  setup: () => ternaryInputs(format),
  run: ({ activations, words }: ReturnType<typeof ternaryInputs>) =>
    ternaryGemm({ activations, weights: words, m: 1, k: K, n: N, format }),
  skip: wasmOnly('plain JS on typed arrays: backend-independent, measured once (wasm run)'),
});

/** core's `ternaryMatMul` (EATernaryMatMul): the registered typed-array kernel on cpu, the reference on wasm. */
const contract = (format: TernaryPackingFormat) => ({
  name: `ternaryMatMul ${format}`,
  params: params(format),
  flops: OPS,
  iterations: 20,
  setup: () => {
    registerBitnetKernels();
    const { activations, words } = ternaryInputs(format);
    return {
      activations: tf.tensor2d(activations, [1, K], 'int32'),
      weights: tf.tensor2d(words, [N, words.length / N], 'int32'),
      weightScale: tf.scalar(0.02),
      activationScales: tf.tensor1d([1 / 127]),
    };
  },
  run: (inputs: Parameters<typeof ternaryMatMul>[0]) => ternaryMatMul(inputs, { k: K, n: N, format }),
});

export default defineBenchSuite({
  name: 'bitnet-ternary-gemv',
  backends: ['wasm', 'cpu'],
  iterations: 20,
  cases: [
    {
      name: 'fp32 matMul',
      params: params('fp32'),
      flops: OPS,
      iterations: 40,
      setup: () => ({
        x: tf.randomNormal([1, K], 0, 1, 'float32', 1),
        w: tf.randomNormal([K, N], 0, 1, 'float32', 2),
      }),
      run: ({ x, w }: { x: tf.Tensor; w: tf.Tensor }) => tf.matMul(x, w),
      skip: wasmOnly('the pinned fp32 GEMV baseline is wasm XNNPACK'),
    },
    gemv('i2s'),
    gemv('tq1'),
    contract('i2s'),
    contract('tq1'),
  ],
  ratios: [
    {
      name: 'fp32 matMul / ternaryGemm i2s (speed-up; ≥ 2 is the backends issue target)',
      numerator: 'fp32 matMul',
      denominator: 'ternaryGemm i2s',
    },
    {
      name: 'fp32 matMul / ternaryGemm tq1 (speed-up)',
      numerator: 'fp32 matMul',
      denominator: 'ternaryGemm tq1',
    },
    {
      name: 'ternaryGemm i2s / ternaryGemm tq1',
      numerator: 'ternaryGemm i2s',
      denominator: 'ternaryGemm tq1',
    },
  ],
});
