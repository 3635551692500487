import { defineBenchSuite } from '@efficient-attention/bench';
import { scaledDotProductAttention } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { favorPlus, featureCount, linearAttention, relu } from '../src/index.js';

const B = 1;
const H = 8;
const D = 64;
/** Positions per chunk of the causal scan (linearAttention's default). */
const CHUNK = 128;
const M = featureCount(favorPlus(), D); // ⌈64·ln 64⌉ = 267 FAVOR+ features

const inputs = (n: number) => () => ({
  q: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 1),
  k: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 2),
  v: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 3),
});
type In = ReturnType<ReturnType<typeof inputs>>;

/** Multiply-adds ×2 of the matMuls: φ(K)ᵀ[V|1] and φ(Q)·state; causal adds the masked in-chunk products. */
const linearFlops = (n: number, f: number, causal: boolean) => {
  const state = 2 * 2 * n * f * (D + 1);
  const inChunk = causal ? 2 * n * Math.min(CHUNK, n) * (f + D + 1) : 0;
  const features = f === D ? 0 : 2 * 2 * n * D * f;
  return B * H * (state + inChunk + features);
};
const denseFlops = (n: number) => 4 * B * H * n * n * D;

const LINEAR_NS = [1024, 4096, 16384];
const DENSE_NS = [512, 1024, 2048, 4096];
const variants = [
  { label: 'elu+1', causal: false, featureMap: undefined },
  { label: 'elu+1 causal', causal: true, featureMap: undefined },
  { label: 'relu', causal: false, featureMap: relu() },
  { label: 'relu causal', causal: true, featureMap: relu() },
  { label: 'performer', causal: false, featureMap: favorPlus() },
  { label: 'performer causal', causal: true, featureMap: favorPlus() },
] as const;

export default defineBenchSuite({
  name: 'linear-attention',
  backends: ['wasm'],
  iterations: 5,
  cases: [
    ...variants.flatMap(({ label, causal, featureMap }) =>
      LINEAR_NS.map((n) => ({
        name: `${label} N=${n}`,
        params: {
          N: n,
          H,
          d: D,
          features: featureMap?.kind === 'favor-plus' ? M : D,
          causal: String(causal),
        },
        flops: linearFlops(n, featureMap?.kind === 'favor-plus' ? M : D, causal),
        setup: inputs(n),
        run: ({ q, k, v }: In) => linearAttention(q, k, v, { causal, ...(featureMap ? { featureMap } : {}) }),
        iterations: n >= 16384 ? 7 : 9,
      })),
    ),
    ...DENSE_NS.map((n) => ({
      name: `dense N=${n}`,
      params: { N: n, H, d: D, features: '-', causal: 'false' },
      flops: denseFlops(n),
      setup: inputs(n),
      run: ({ q, k, v }: In) => scaledDotProductAttention(q, k, v),
      iterations: n >= 4096 ? 3 : 5,
    })),
  ],
  ratios: [
    ...variants.map(({ label }) => ({
      name: `${label}: t(16384) / t(4096) (linear scaling: 4)`,
      numerator: `${label} N=16384`,
      denominator: `${label} N=4096`,
      target: { op: '<=' as const, value: 4.5 },
      interleaved: true,
    })),
    ...[1024, 4096].flatMap((n) => [
      {
        name: `dense / elu+1 at N=${n} (> 1: linear is faster)`,
        numerator: `dense N=${n}`,
        denominator: `elu+1 N=${n}`,
        ...(n === 1024 ? { target: { op: '>=' as const, value: 1 } } : {}),
      },
      {
        name: `dense / elu+1 causal at N=${n}`,
        numerator: `dense N=${n}`,
        denominator: `elu+1 causal N=${n}`,
      },
      {
        name: `dense / performer at N=${n} (m = ${M})`,
        numerator: `dense N=${n}`,
        denominator: `performer N=${n}`,
      },
      {
        name: `dense / performer causal at N=${n} (m = ${M})`,
        numerator: `dense N=${n}`,
        denominator: `performer causal N=${n}`,
      },
    ]),
  ],
});
