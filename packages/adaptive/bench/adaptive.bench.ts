import { AdaptiveSpan, adaptivelySparseAttention, spanAttention } from '@efficient-attention/adaptive';
import { defineBenchSuite } from '@efficient-attention/bench';
import { scaledDotProductAttention } from '@efficient-attention/core';
import { blockSparseAttention, createBlockMask, slidingWindow } from '@efficient-attention/sparse-masks';
import * as tf from '@tensorflow/tfjs-core';

const B = 1;
const H = 8;
const D = 64;
const RAMP = 32;
const BLOCK = 64;
const WINDOW = 64;

const qkv = (n: number) => ({
  q: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 1),
  k: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 2),
  v: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 3),
});
type Qkv = ReturnType<typeof qkv>;
/** Causal attention over `keys` keys per query: 2·keys multiply-adds of d per query and head. */
const bandFlops = (n: number, keys: number) => 4 * B * H * n * keys * D;
const cpuTooSlow = (n: number) => (backend: string) =>
  backend === 'cpu' && n > 1024 ? 'cpu backend: minutes per run above N=1024' : undefined;

const cases = [4096, 1024].flatMap((n) => [
  {
    // z = 32 with R = 32: trimmedSpan = ⌈z + R⌉ = 64 keys per head. The block mask is rebuilt in every call
    // (the span is learned, so the window can change between steps): its cost is in the timing.
    name: `adaptive span (z+R=64) N=${n}`,
    params: { N: n, H, d: D, keys: WINDOW },
    flops: bandFlops(n, WINDOW),
    setup: () => {
      const span = new AdaptiveSpan({ heads: H, maxSpan: 1024, rampSize: RAMP, initialSpan: WINDOW - RAMP });
      return { ...qkv(n), z: span.span };
    },
    run: ({ q, k, v, z }: Qkv & { z: tf.Tensor }) =>
      spanAttention(q, k, v, z, { causal: true, rampSize: RAMP, maxSpan: 1024, blockSize: BLOCK }),
    skip: cpuTooSlow(n),
  },
  {
    // The fixed window the span learned, through the same block-sparse path without a score modifier.
    name: `sliding window 64 N=${n}`,
    params: { N: n, H, d: D, keys: WINDOW },
    flops: bandFlops(n, WINDOW),
    setup: () => qkv(n),
    run: ({ q, k, v }: Qkv) =>
      blockSparseAttention(
        q,
        k,
        v,
        createBlockMask(slidingWindow({ before: WINDOW - 1 }), n, n, { blockSize: BLOCK }),
      ),
    skip: cpuTooSlow(n),
  },
  {
    name: `dense causal N=${n}`,
    params: { N: n, H, d: D, keys: n },
    flops: bandFlops(n, n) / 2,
    setup: () => qkv(n),
    run: ({ q, k, v }: Qkv) => scaledDotProductAttention(q, k, v, { causal: true }),
    iterations: 3,
    skip: cpuTooSlow(n),
  },
]);

/** The normalisers on full rows, for reference (O(N²) like dense softmax). */
const normalizerCases = (['sparsemax', 'entmax15', 'entmax'] as const).map((normalizer) => ({
  name: `${normalizer} attention N=1024`,
  params: { N: 1024, H, d: D, keys: 1024 },
  flops: bandFlops(1024, 1024) / 2,
  setup: () => qkv(1024),
  run: ({ q, k, v }: Qkv) => adaptivelySparseAttention(q, k, v, { normalizer, causal: true }),
  // α-entmax bisects every full row 25 times: tens of seconds per run at this size.
  iterations: normalizer === 'entmax' ? 1 : 3,
  skip: cpuTooSlow(4096),
}));

export default defineBenchSuite({
  name: 'adaptive',
  backends: ['wasm'],
  iterations: 5,
  cases: [...cases, ...normalizerCases],
  ratios: [
    {
      name: 'adaptive span (64 keys) / sliding window 64, N=4096',
      numerator: 'adaptive span (z+R=64) N=4096',
      denominator: 'sliding window 64 N=4096',
      target: { op: '<=', value: 2 },
    },
    {
      name: 'adaptive span (64 keys) / dense causal, N=4096',
      numerator: 'adaptive span (z+R=64) N=4096',
      denominator: 'dense causal N=4096',
    },
    {
      name: 'sliding window 64 / dense causal, N=4096',
      numerator: 'sliding window 64 N=4096',
      denominator: 'dense causal N=4096',
    },
    {
      name: 'adaptive span (64 keys) / sliding window 64, N=1024',
      numerator: 'adaptive span (z+R=64) N=1024',
      denominator: 'sliding window 64 N=1024',
      target: { op: '<=', value: 2 },
    },
    {
      name: 'entmax15 / dense causal softmax, N=1024',
      numerator: 'entmax15 attention N=1024',
      denominator: 'dense causal N=1024',
    },
  ],
});
