/**
 * `pnpm bench --filter backends`: this package's WebAssembly kernels against their peers, side by side in
 * one run (each case in a fresh process; see How we measure in ARCHITECTURE.md).
 *
 * - Fused dense attention, B=1 H=8 d=64 N=4096, 2 threads: ours vs onnxruntime-node's CPU attention (the
 *   `com.microsoft.MultiHeadAttention` contrib op and the plain Transpose → MatMul → Mul → Softmax → MatMul
 *   graph, `graphOptimizationLevel: 'all'`, 2 intra-op threads) vs the best tfjs-ops path (per-head 2-D
 *   matMuls with an explicit transpose, tfjs-wasm on 2 threads via enableNodeWasmThreads).
 * - Block-sparse vs our dense, by visited-block density (sliding window, dilated, BigBird, Longformer).
 * - Ternary GEMV [1, 2048] × [2048, 2048], packed 2-bit, 1 thread (both builds) vs the fp32 GEMV baseline
 *   (tfjs-wasm matMul [1, K] × [K, N], no transpose flags: XNNPACK, which caches its packed weights; so
 *   does our kernel, by tensor).
 *
 * Each case runs in its own process (`run-case.ts <suite> <case> …`), so the per-process set-up below reads
 * the case name from argv: tfjs-wasm threads or our kernels are configured before the harness sets the
 * backend.
 */
import { defineBenchSuite } from '@efficient-attention/bench';
import { blockSparseAttentionKernel, fusedAttentionKernel, ternaryMatMul } from '@efficient-attention/core';
import {
  type BlockMask,
  bigBird,
  createBlockMask,
  dilatedSlidingWindow,
  longformer,
  slidingWindow,
} from '@efficient-attention/sparse-masks';
import * as tf from '@tensorflow/tfjs-core';
import { enableNodeWasmRelaxedSimd, enableNodeWasmThreads, registerWasmKernels } from '../src/index.js';
import { ortSession, perHeadAttention } from './attention-baselines.js';
import { multiHeadAttentionModel, plainAttentionModel } from './onnx-attention-model.js';

const H = 8;
const D = 64;
const N = 4096;
const SCALE = 1 / Math.sqrt(D);
const THREADS = 2;
const denseFlops = (n: number) => 4 * H * n * n * D;

// The case(s) this process measures: `run-case.ts <suite> <case> <backend> …` or, for an interleaved ratio,
// `run-pair.ts <suite> <numerator> <denominator> …`.
const selected = [process.argv[3] ?? '', process.argv[4] ?? ''];
if (selected.some((c) => c.startsWith('tfjs'))) await enableNodeWasmThreads({ threads: THREADS });
if (selected.some((c) => c.includes('relaxed SIMD'))) await enableNodeWasmRelaxedSimd();
if (selected.some((c) => c.startsWith('ours')))
  await registerWasmKernels({
    threads: selected[0]!.includes('1 thread') ? 1 : THREADS,
    simd: selected.some((c) => c.includes('relaxed SIMD')) ? 'relaxed-simd' : 'simd128',
  });

const attentionInputs = (n: number) => () => ({
  q: tf.randomNormal([1, H, n, D], 0, 1, 'float32', 1),
  k: tf.randomNormal([1, H, n, D], 0, 1, 'float32', 2),
  v: tf.randomNormal([1, H, n, D], 0, 1, 'float32', 3),
});
type AttentionIn = ReturnType<ReturnType<typeof attentionInputs>>;
const bySeries = (x: AttentionIn) => perHeadAttention(x, SCALE);

const ortCase = (name: string, model: () => Uint8Array, shape: number[]) => ({
  name,
  params: { N, H, d: D, threads: THREADS },
  flops: denseFlops(N),
  // A tensor-free set-up: the session and its inputs live in the worker.
  setup: () => ({ session: ortSession(model(), shape, THREADS) }) as unknown as tf.TensorContainer,
  run: (x: tf.TensorContainer) => {
    (x as unknown as { session: { run(): void } }).session.run();
    return [];
  },
  iterations: 5,
});

const BLOCK = 64;
const SPARSE_NS = [1024, 4096, 16384];
const PATTERNS = {
  'sliding window r=128': () => slidingWindow({ radius: 128 }),
  'dilated r=64 d=4': () => dilatedSlidingWindow({ radius: 64, dilation: 4 }),
  bigbird: (n: number) => bigBird({ seqLen: n, blockSize: BLOCK }),
  'longformer r=128 +[CLS]': () => longformer({ radius: 128, globalIndices: [0] }),
} as const;
type PatternName = keyof typeof PATTERNS;
const masks = new Map<string, BlockMask>();
function maskFor(name: PatternName, n: number): BlockMask {
  const key = `${name} ${n}`;
  let m = masks.get(key);
  if (m === undefined) {
    m = createBlockMask(PATTERNS[name](n), n, n, { blockSize: BLOCK });
    masks.set(key, m);
  }
  return m;
}
const density = (p: PatternName, n: number) => 1 - maskFor(p, n).sparsity();
const sparseIterations = (n: number) => (n >= 16384 ? 1 : 3);

const GEMV_K = 2048;
const GEMV_N = 2048;
const ternaryInputs = () => {
  const words = GEMV_K / 16;
  const packed = new Int32Array(GEMV_N * words);
  let s = 7;
  for (let i = 0; i < packed.length; i++) {
    // Codes 0..2 only (what a packer emits): 16 random ternary weights per word.
    let w = 0;
    for (let j = 0; j < 16; j++) {
      s = (s * 1103515245 + 12345) >>> 0;
      w |= ((s >>> 30) % 3) << (2 * j);
    }
    packed[i] = w;
  }
  return {
    activations: tf.tensor2d(
      Int32Array.from({ length: GEMV_K }, (_, i) => ((i * 37) % 255) - 127),
      [1, GEMV_K],
      'int32',
    ),
    weights: tf.tensor2d(packed, [GEMV_N, words], 'int32'),
    weightScale: tf.scalar(0.02),
    activationScales: tf.tensor1d([0.01]),
  };
};

export default defineBenchSuite({
  name: 'backends',
  backends: ['wasm'],
  cases: [
    ortCase(`ort MultiHeadAttention N=${N}`, () => multiHeadAttentionModel(H, N, D, SCALE), [1, N, H * D]),
    ortCase(`ort plain graph N=${N}`, () => plainAttentionModel(H, N, D, SCALE), [1, H, N, D]),
    {
      name: `tfjs per-head matMul N=${N}`,
      params: { N, H, d: D, threads: THREADS },
      flops: denseFlops(N),
      setup: attentionInputs(N),
      run: bySeries,
      iterations: 3,
    },
    {
      name: `ours dense N=${N} relaxed SIMD`,
      params: { N, H, d: D, threads: THREADS, pattern: 'dense' },
      flops: denseFlops(N),
      setup: attentionInputs(N),
      run: (x: AttentionIn) => fusedAttentionKernel.run(x, { scale: SCALE, causal: false }),
      iterations: 3,
    },
    ...SPARSE_NS.flatMap((n) => [
      {
        name: `ours dense N=${n}`,
        params: { N: n, H, d: D, threads: THREADS, pattern: 'dense' },
        flops: denseFlops(n),
        setup: attentionInputs(n),
        run: (x: AttentionIn) => fusedAttentionKernel.run(x, { scale: SCALE, causal: false }),
        iterations: sparseIterations(n),
      },
      ...(Object.keys(PATTERNS) as PatternName[]).map((p) => ({
        name: `ours block-sparse ${p} N=${n}`,
        params: { N: n, H, d: D, threads: THREADS, pattern: p, density: Number(density(p, n).toFixed(4)) },
        flops: denseFlops(n) * density(p, n),
        setup: () => ({ ...attentionInputs(n)(), ...maskFor(p, n).toTensors() }),
        run: (x: tf.NamedTensorMap) =>
          blockSparseAttentionKernel.run(x as never, { blockSize: BLOCK, qLen: n, kvLen: n, scale: SCALE }),
        iterations: sparseIterations(n),
      })),
    ]),
    ...(['', ' relaxed SIMD'] as const).map((build) => ({
      name: `ours ternary GEMV i2s 1 thread${build}`,
      params: { M: 1, K: GEMV_K, N: GEMV_N, threads: 1 },
      flops: 2 * GEMV_K * GEMV_N,
      setup: ternaryInputs,
      run: (x: ReturnType<typeof ternaryInputs>) => ternaryMatMul(x, { k: GEMV_K, n: GEMV_N, format: 'i2s' }),
      iterations: 200,
    })),
    {
      name: 'fp32 GEMV tfjs-wasm matMul',
      params: { M: 1, K: GEMV_K, N: GEMV_N, threads: 1 },
      flops: 2 * GEMV_K * GEMV_N,
      setup: () => ({ x: tf.randomNormal([1, GEMV_K]), w: tf.randomNormal([GEMV_K, GEMV_N]) }),
      run: ({ x, w }: { x: tf.Tensor; w: tf.Tensor }) => tf.matMul(x, w),
      iterations: 200,
    },
  ],
  // Time ratios ≤ 2.5 ⇔ ours ≥ 40% of the peer's throughput. Interleaved: both contenders alternate in one
  // process, so a shared machine's drift hits them alike.
  ratios: [
    ...(['', ' relaxed SIMD'] as const).flatMap((build) => [
      {
        name: `ours${build} / ORT MHA (time)`,
        numerator: `ours dense N=${N}${build}`,
        denominator: `ort MultiHeadAttention N=${N}`,
        target: { op: '<=' as const, value: 2.5 },
        interleaved: true,
        rounds: 9,
      },
      {
        name: `ours${build} / ORT plain graph (time)`,
        numerator: `ours dense N=${N}${build}`,
        denominator: `ort plain graph N=${N}`,
        target: { op: '<=' as const, value: 2.5 },
        interleaved: true,
        rounds: 9,
      },
    ]),
    {
      name: 'ours / tfjs per-head (time)',
      numerator: `ours dense N=${N}`,
      denominator: `tfjs per-head matMul N=${N}`,
      interleaved: true,
      rounds: 3,
    },
    ...SPARSE_NS.flatMap((n) =>
      (Object.keys(PATTERNS) as PatternName[]).map((p) => ({
        name: `${p} / dense N=${n} (target 1.5 × density ${density(p, n).toFixed(3)})`,
        numerator: `ours block-sparse ${p} N=${n}`,
        denominator: `ours dense N=${n}`,
        target: { op: '<=' as const, value: Number((1.5 * density(p, n)).toFixed(4)) },
        interleaved: true,
        rounds: n >= 16384 ? 3 : 7,
      })),
    ),
    ...(['', ' relaxed SIMD'] as const).map((build) => ({
      name: `ternary${build} / fp32 GEMV (time)`,
      numerator: `ours ternary GEMV i2s 1 thread${build}`,
      denominator: 'fp32 GEMV tfjs-wasm matMul',
      target: { op: '<=' as const, value: 0.5 },
      interleaved: true,
      rounds: 9,
      batch: 50,
    })),
  ],
});
