import { defineBenchSuite } from '@efficient-attention/bench';
import { memoryEfficientAttention, scaledDotProductAttention } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BlockMask,
  bigBird,
  blockSparseAttention,
  createBlockMask,
  dilatedSlidingWindow,
  longformer,
  slidingWindow,
} from '../src/index.js';

const B = 1;
const H = 8;
const D = 64;
const NS = [1024, 4096, 16384];
const BLOCK = 128;

/**
 * The patterns of the issue; every block mask is built once per process (at import: it also gives the
 * visited fraction for the table), outside the timed runs.
 */
const PATTERNS = {
  'sliding window r=128': () => slidingWindow({ radius: 128 }),
  'dilated r=64 d=2': () => dilatedSlidingWindow({ radius: 64, dilation: 2 }),
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

const inputs = (n: number) => () => ({
  q: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 1),
  k: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 2),
  v: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 3),
});
type In = ReturnType<ReturnType<typeof inputs>>;
const denseFlops = (n: number) => 4 * B * H * n * n * D;
const iterations = (n: number) => (n >= 16384 ? 2 : n >= 4096 ? 3 : 5);

export default defineBenchSuite({
  name: 'sparse-masks-block-sparse-attention',
  backends: ['wasm'],
  cases: NS.flatMap((n) => [
    {
      name: `dense N=${n}`,
      params: { N: n, H, d: D, pattern: 'dense' },
      flops: denseFlops(n),
      setup: inputs(n),
      run: (x: In) => scaledDotProductAttention(x.q, x.k, x.v),
      iterations: iterations(n),
      skip: () => (n > 4096 ? 'dense: 1 GB of scores per head and minutes per run at N=16384' : undefined),
    },
    {
      name: `memory-efficient N=${n}`,
      params: { N: n, H, d: D, pattern: 'dense' },
      flops: denseFlops(n),
      setup: inputs(n),
      run: (x: In) => memoryEfficientAttention(x.q, x.k, x.v),
      iterations: n >= 16384 ? 1 : iterations(n),
    },
    ...(Object.keys(PATTERNS) as PatternName[]).map((p) => ({
      name: `block-sparse ${p} N=${n}`,
      // visited = fraction of blocks computed; flops count the computed blocks (masked pairs included).
      params: { N: n, H, d: D, pattern: p, visited: Number((1 - maskFor(p, n).sparsity()).toFixed(4)) },
      flops: denseFlops(n) * (1 - maskFor(p, n).sparsity()),
      setup: () => {
        maskFor(p, n);
        return inputs(n)();
      },
      run: (x: In) => blockSparseAttention(x.q, x.k, x.v, maskFor(p, n)),
      iterations: iterations(n),
    })),
  ]),
  ratios: NS.flatMap((n) =>
    (Object.keys(PATTERNS) as PatternName[]).flatMap((p) => [
      ...(n <= 4096
        ? [
            {
              name: `${p} / dense, N=${n}`,
              numerator: `block-sparse ${p} N=${n}`,
              denominator: `dense N=${n}`,
            },
          ]
        : []),
      {
        name: `${p} / memory-efficient, N=${n}`,
        numerator: `block-sparse ${p} N=${n}`,
        denominator: `memory-efficient N=${n}`,
      },
    ]),
  ),
});
