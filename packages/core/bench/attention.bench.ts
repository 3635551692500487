import { defineBenchSuite } from '@efficient-attention/bench';
import { memoryEfficientAttention, scaledDotProductAttention } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

const B = 1;
const H = 8;
const D = 64;
const inputs = (n: number) => () => ({
  q: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 1),
  k: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 2),
  v: tf.randomNormal([B, H, n, D], 0, 1, 'float32', 3),
});
type In = ReturnType<ReturnType<typeof inputs>>;
const flops = (n: number) => 4 * B * H * n * n * D;
const cpuTooSlow = (n: number) => (backend: string) =>
  backend === 'cpu' && n > 1024 ? 'cpu backend: minutes per run above N=1024' : undefined;

/** The pinned baseline (ARCHITECTURE.md): 4-D matMul with transposeB → softmax → matMul. */
const plainTfjsOps = ({ q, k, v }: In) =>
  tf.tidy(() => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D))), v));

/** Only the two matMuls attention needs per head, on the XNNPACK path: the wasm matMul ceiling for this shape. */
const matMulsOnly = ({ q, k, v }: In) =>
  tf.tidy(() => {
    const qs = tf.unstack(tf.reshape(q, [B * H, -1, D]));
    const kts = tf.unstack(tf.transpose(tf.reshape(k, [B * H, -1, D]), [0, 2, 1]));
    const vs = tf.unstack(tf.reshape(v, [B * H, -1, D]));
    return tf.stack(qs.map((x, i) => tf.tidy(() => tf.matMul(tf.matMul(x, kts[i]!), vs[i]!))));
  });

const NS = [512, 1024, 2048, 4096];
export default defineBenchSuite({
  name: 'core-attention',
  backends: ['wasm', 'cpu'],
  iterations: 5,
  cases: [
    ...NS.flatMap((n) => [
      {
        name: `dense N=${n}`,
        params: { N: n, H, d: D },
        flops: flops(n),
        setup: inputs(n),
        run: (x: In) => scaledDotProductAttention(x.q, x.k, x.v),
        skip: cpuTooSlow(n),
      },
      {
        name: `memory-efficient N=${n}`,
        params: { N: n, H, d: D },
        flops: flops(n),
        setup: inputs(n),
        run: (x: In) => memoryEfficientAttention(x.q, x.k, x.v),
        skip: cpuTooSlow(n),
      },
      {
        name: `plain tfjs ops N=${n}`,
        params: { N: n, H, d: D },
        flops: flops(n),
        setup: inputs(n),
        run: plainTfjsOps,
        iterations: n >= 4096 ? 2 : 3,
        skip: cpuTooSlow(n),
      },
      {
        name: `matMuls only N=${n}`,
        params: { N: n, H, d: D },
        flops: flops(n),
        setup: inputs(n),
        run: matMulsOnly,
        skip: cpuTooSlow(n),
      },
    ]),
    {
      name: 'memory-efficient causal N=16384',
      params: { N: 16384, H, d: D },
      flops: flops(16384) / 2,
      setup: inputs(16384),
      run: (x: In) => memoryEfficientAttention(x.q, x.k, x.v, { causal: true }),
      iterations: 1,
      skip: (b) => (b === 'cpu' ? 'cpu backend: far too slow at N=16384' : undefined),
    },
    {
      name: 'dense N=16384',
      params: { N: 16384, H, d: D },
      flops: flops(16384),
      setup: inputs(16384),
      run: (x: In) => scaledDotProductAttention(x.q, x.k, x.v),
      iterations: 1,
      skip: (b) => (b === 'cpu' ? 'cpu backend: far too slow at N=16384' : undefined),
    },
  ],
  ratios: [
    {
      name: 'plain tfjs ops / dense, N=2048 (speed-up)',
      numerator: 'plain tfjs ops N=2048',
      denominator: 'dense N=2048',
      target: { op: '>=', value: 10 },
    },
    {
      name: 'matMuls only / dense, N=2048 (share of matMul throughput)',
      numerator: 'matMuls only N=2048',
      denominator: 'dense N=2048',
      target: { op: '>=', value: 0.25 },
    },
    {
      name: 'memory-efficient / dense, N=2048',
      numerator: 'memory-efficient N=2048',
      denominator: 'dense N=2048',
    },
    {
      name: 'memory-efficient / dense, N=4096',
      numerator: 'memory-efficient N=4096',
      denominator: 'dense N=4096',
    },
    {
      name: 'plain tfjs ops / dense, N=512 (cpu)',
      numerator: 'plain tfjs ops N=512',
      denominator: 'dense N=512',
    },
  ],
});
