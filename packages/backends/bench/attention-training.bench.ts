/**
 * `pnpm bench --filter attention-training`: attention forward + backward (what one training step of an
 * attention layer costs) per mechanism on `wasm` with this package's WebAssembly kernels registered, as
 * interleaved ratios (both contenders alternate in one process, so a busy machine's drift hits them alike).
 * Issue 18's targets:
 *
 * - Dense causal, B=1 H=8 d=64: the fused kernel's forward + backward (`tf.grads` through
 *   `fusedAttentionKernel`, whose registered gradient runs `EAFusedAttentionGrad`) vs its forward alone
 *   (≤ 4.5×: FlashAttention-2's forward + backward does 3.5× the forward's FLOPs), and vs
 *   `scaledDotProductAttention`'s N² tfjs-ops path differentiated by tfjs autograd (the training path before
 *   the backward kernels; ≥ 10× slower). At N = 16384 one forward + backward measures peak RSS (< 1 GB).
 * - Block-sparse (sliding window, Longformer, BigBird) at N = 4096: forward + backward ≤ 1.5 × density × the
 *   dense fused forward + backward (non-causal, like the patterns).
 * - Causal linear attention (elu + 1): forward + backward t(16384) / t(4096) ≤ 4.5.
 *
 * Each case works with whatever backward kernels exist: a backward contract without a wasm kernel runs its
 * tfjs-ops reference (the `bwd` column says which). A case whose forward kernel is not registered throws
 * (its row says why) instead of timing a reference by mistake.
 */
import { type BenchCase, type BenchRatio, defineBenchSuite } from '@efficient-attention/bench';
import {
  type BlockSparseAttentionInputs,
  blockSparseAttentionGradKernel,
  blockSparseAttentionKernel,
  causalLinearAttentionKernel,
  fusedAttentionGradKernel,
  fusedAttentionKernel,
  hasKernelFor,
  scaledDotProductAttentionReference,
} from '@efficient-attention/core';
import { linearAttention } from '@efficient-attention/linear-attention';
import {
  type BlockMask,
  bigBird,
  createBlockMask,
  longformer,
  slidingWindow,
} from '@efficient-attention/sparse-masks';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's ES module entry registers no gradients (the autograd baseline and the reference backwards need
// them); tfjs-layers' Node bundle loads tfjs-core's CommonJS build, which registers them all.
import '@tensorflow/tfjs-layers';
import { registerWasmKernels } from '../src/index.js';
import { WASM_KERNEL_IMPLEMENTATIONS } from '../src/kernels/index.js';

/** Sizes of the suite (the default export uses issue 18's; the smoke test a small copy). */
export interface AttentionTrainingSizes {
  heads: number;
  headDim: number;
  /** Dense causal lengths: fused forward, fused forward + backward, autograd forward + backward. */
  dense: number[];
  /** Dense causal length of the single forward + backward whose peak RSS is the memory target. */
  memory: number;
  /** Length of the block-sparse cases and their dense (non-causal) denominator. */
  sparse: number;
  blockSize: number;
  /** Sliding-window / Longformer radius. */
  radius: number;
  /** Causal linear attention lengths [short, long]: t(long) / t(short) ≤ 4.5 × long / short / 4. */
  linear: [number, number];
}

export const ISSUE_18_SIZES: AttentionTrainingSizes = {
  heads: 8,
  headDim: 64,
  dense: [1024, 2048],
  memory: 16384,
  sparse: 4096,
  blockSize: 64,
  radius: 128,
  linear: [4096, 16384],
};

const THREADS = 2;

/** Whether our wasm kernel list brings a backward kernel for the contract (else its reference runs). */
const backwardPath = (gradName: string) =>
  WASM_KERNEL_IMPLEMENTATIONS.some((k) => k.contract.name === gradName) ? 'kernel' : 'reference';

/** Throws unless the fast kernel runs here, so a row never times a reference by mistake. */
function assertKernel(contract: { name: string }): void {
  if (!hasKernelFor(contract)) {
    throw new Error(
      `${contract.name} has no kernel on ${tf.getBackend()}: this case times the fast path (registerWasmKernels did not run or failed)`,
    );
  }
}

type Qkv = { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor; dOut: tf.Tensor };

/** Seeded unit-normal q, k, v and an output gradient, `[1, heads, n, headDim]`. */
function qkv(sizes: AttentionTrainingSizes, n: number): Qkv {
  const shape = [1, sizes.heads, n, sizes.headDim];
  return {
    q: tf.randomNormal(shape, 0, 1, 'float32', 1),
    k: tf.randomNormal(shape, 0, 1, 'float32', 2),
    v: tf.randomNormal(shape, 0, 1, 'float32', 3),
    dOut: tf.randomNormal(shape, 0, 1, 'float32', 4),
  };
}

/** Forward + backward of `attend`: the gradients of ⟨attend(q, k, v), dOut⟩ with respect to q, k, v. */
export function forwardBackward(
  attend: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor,
  { q, k, v, dOut }: Qkv,
): tf.Tensor[] {
  return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => attend(a, b, c))([q, k, v], dOut);
}

const PATTERNS = {
  'sliding window': (s: AttentionTrainingSizes) => slidingWindow({ radius: s.radius }),
  longformer: (s: AttentionTrainingSizes) => longformer({ radius: s.radius, globalIndices: [0] }),
  bigbird: (s: AttentionTrainingSizes) => bigBird({ seqLen: s.sparse, blockSize: s.blockSize }),
} as const;
export type PatternName = keyof typeof PATTERNS;

/** Block masks, built once per process and pattern. */
const masks = new Map<string, BlockMask>();
export function patternMask(sizes: AttentionTrainingSizes, pattern: PatternName): BlockMask {
  const key = `${pattern} ${sizes.sparse} ${sizes.blockSize} ${sizes.radius}`;
  let mask = masks.get(key);
  if (mask === undefined) {
    mask = createBlockMask(PATTERNS[pattern](sizes), sizes.sparse, sizes.sparse, {
      blockSize: sizes.blockSize,
    });
    masks.set(key, mask);
  }
  return mask;
}

/** Case names, shared by the cases, the ratios and the smoke test. */
export const caseName = {
  fusedForward: (n: number) => `dense causal fused fwd N=${n}`,
  fusedTraining: (n: number) => `dense causal fused fwd+bwd N=${n}`,
  autograd: (n: number) => `dense causal sdpa autograd fwd+bwd N=${n}`,
  denseTraining: (n: number) => `dense fused fwd+bwd N=${n}`,
  sparseTraining: (p: PatternName, n: number) => `block-sparse ${p} fwd+bwd N=${n}`,
  linearTraining: (n: number) => `causal linear fwd+bwd N=${n}`,
};

/** The suite's cases at the given sizes. */
export function attentionTrainingCases(sizes: AttentionTrainingSizes): BenchCase[] {
  const { heads: h, headDim: d } = sizes;
  const scale = 1 / Math.sqrt(d);
  // Attention FLOPs (2 matMuls of 2·n²·d); causal does half. The backward does 2.5× the forward's.
  const attentionFlops = (n: number, causal: boolean) => (4 * h * n * n * d) / (causal ? 2 : 1);
  const fused = (causal: boolean) => (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
    fusedAttentionKernel.run({ q, k, v }, { scale, causal });
  const fusedBwd = backwardPath(fusedAttentionGradKernel.name);
  const sparseBwd = backwardPath(blockSparseAttentionGradKernel.name);
  const linearBwd = causalLinearAttentionKernel.hasGradient ? 'kernel scans' : 'reference';
  const dense = (n: number, causal = true) => ({ N: n, H: h, d, causal: String(causal) });

  const cases: BenchCase[] = [];
  for (const n of sizes.dense) {
    cases.push(
      {
        name: caseName.fusedForward(n),
        params: { ...dense(n), bwd: '-' },
        flops: attentionFlops(n, true),
        setup: () => {
          assertKernel(fusedAttentionKernel);
          return qkv(sizes, n);
        },
        run: ({ q, k, v }: Qkv) => fused(true)(q, k, v),
      } as BenchCase<Qkv>,
      {
        name: caseName.fusedTraining(n),
        params: { ...dense(n), bwd: fusedBwd },
        flops: 3.5 * attentionFlops(n, true),
        setup: () => {
          assertKernel(fusedAttentionKernel);
          return qkv(sizes, n);
        },
        run: (x: Qkv) => forwardBackward(fused(true), x),
      } as BenchCase<Qkv>,
      {
        name: caseName.autograd(n),
        params: { ...dense(n), bwd: 'tfjs autograd' },
        flops: 3.5 * attentionFlops(n, true),
        setup: () => qkv(sizes, n),
        run: (x: Qkv) =>
          forwardBackward((q, k, v) => scaledDotProductAttentionReference(q, k, v, { causal: true }), x),
        iterations: 3,
      } as BenchCase<Qkv>,
    );
  }
  cases.push(
    {
      name: caseName.fusedTraining(sizes.memory),
      params: { ...dense(sizes.memory), bwd: fusedBwd },
      flops: 3.5 * attentionFlops(sizes.memory, true),
      setup: () => {
        assertKernel(fusedAttentionKernel);
        return qkv(sizes, sizes.memory);
      },
      run: (x: Qkv) => forwardBackward(fused(true), x),
      iterations: 1,
    } as BenchCase<Qkv>,
    {
      name: caseName.denseTraining(sizes.sparse),
      params: { ...dense(sizes.sparse, false), bwd: fusedBwd, density: 1 },
      flops: 3.5 * attentionFlops(sizes.sparse, false),
      setup: () => {
        assertKernel(fusedAttentionKernel);
        return qkv(sizes, sizes.sparse);
      },
      run: (x: Qkv) => forwardBackward(fused(false), x),
      iterations: 3,
    } as BenchCase<Qkv>,
  );
  for (const pattern of Object.keys(PATTERNS) as PatternName[]) {
    const n = sizes.sparse;
    const density = () => 1 - patternMask(sizes, pattern).sparsity();
    // q, k, v, dOut and the mask's block lists and bitmasks, side by side (a flat tensor map).
    type SparseIn = Qkv &
      Pick<
        BlockSparseAttentionInputs,
        | 'kvNumBlocks'
        | 'kvIndices'
        | 'fullKvNumBlocks'
        | 'fullKvIndices'
        | 'partialMasks'
        | 'partialMaskOffsets'
      >;
    cases.push({
      name: caseName.sparseTraining(pattern, n),
      params: { ...dense(n, false), bwd: sparseBwd, density: Number(density().toFixed(4)) },
      flops: 3.5 * attentionFlops(n, false) * density(),
      setup: (): SparseIn => {
        assertKernel(blockSparseAttentionKernel);
        return { ...qkv(sizes, n), ...patternMask(sizes, pattern).toTensors() };
      },
      run: ({ q: _q, k: _k, v: _v, dOut, ...mask }: SparseIn) =>
        forwardBackward(
          (q, k, v) =>
            blockSparseAttentionKernel.run(
              { ...mask, q, k, v },
              { blockSize: sizes.blockSize, qLen: n, kvLen: n, scale },
            ),
          { q: _q, k: _k, v: _v, dOut },
        ),
      iterations: 3,
    } as BenchCase<SparseIn>);
  }
  for (const n of sizes.linear) {
    cases.push({
      name: caseName.linearTraining(n),
      params: { N: n, H: h, d, causal: 'true', bwd: linearBwd },
      setup: () => {
        assertKernel(causalLinearAttentionKernel);
        return qkv(sizes, n);
      },
      run: (x: Qkv) => forwardBackward((q, k, v) => linearAttention(q, k, v, { causal: true }), x),
      iterations: 5,
    } as BenchCase<Qkv>);
  }
  return cases;
}

/** The suite's interleaved ratios, with issue 18's targets. */
export function attentionTrainingRatios(sizes: AttentionTrainingSizes): BenchRatio[] {
  const [short, long] = sizes.linear;
  return [
    ...sizes.dense.flatMap((n) => [
      {
        name: `dense causal fused fwd+bwd / fwd at N=${n} (FlashAttention-2 FLOPs: 3.5)`,
        numerator: caseName.fusedTraining(n),
        denominator: caseName.fusedForward(n),
        target: { op: '<=' as const, value: 4.5 },
        interleaved: true,
      },
      {
        name: `dense causal sdpa autograd / fused, fwd+bwd at N=${n} (> 1: the kernels are faster)`,
        numerator: caseName.autograd(n),
        denominator: caseName.fusedTraining(n),
        target: { op: '>=' as const, value: 10 },
        interleaved: true,
        rounds: 3,
      },
    ]),
    ...(Object.keys(PATTERNS) as PatternName[]).map((pattern) => {
      const density = 1 - patternMask(sizes, pattern).sparsity();
      return {
        name: `block-sparse ${pattern} / dense fused, fwd+bwd at N=${sizes.sparse} (density ${density.toFixed(3)}; target 1.5 × density)`,
        numerator: caseName.sparseTraining(pattern, sizes.sparse),
        denominator: caseName.denseTraining(sizes.sparse),
        target: { op: '<=' as const, value: Number((1.5 * density).toFixed(4)) },
        interleaved: true,
        rounds: 5,
      };
    }),
    {
      name: `causal linear fwd+bwd: t(${long}) / t(${short}) (linear scaling: ${long / short})`,
      numerator: caseName.linearTraining(long),
      denominator: caseName.linearTraining(short),
      target: { op: '<=' as const, value: (4.5 * long) / short / 4 },
      interleaved: true,
    },
  ];
}

// The harness runs each case (and each interleaved pair) in a child process (`run-case.ts` / `run-pair.ts`);
// only there are the kernels loaded, so importing this file (the harness's discovery, tests) registers nothing.
if (/run-(case|pair)\.ts$/.test(process.argv[1] ?? '')) await registerWasmKernels({ threads: THREADS });

export default defineBenchSuite({
  name: 'attention-training',
  backends: ['wasm'],
  iterations: 5,
  cases: attentionTrainingCases(ISSUE_18_SIZES),
  ratios: attentionTrainingRatios(ISSUE_18_SIZES),
});
