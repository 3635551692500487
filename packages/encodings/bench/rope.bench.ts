import { defineBenchSuite } from '@efficient-attention/bench';
import { rope } from '@efficient-attention/encodings';
import * as tf from '@tensorflow/tfjs-core';

// The shape: q and k of [1, 8, 4096, 64].
const B = 1;
const H = 8;
const N = 4096;
const D = 64;
const elements = B * H * N * D;

const setup = () => ({
  q: tf.randomNormal([B, H, N, D], 0, 1, 'float32', 1),
  k: tf.randomNormal([B, H, N, D], 0, 1, 'float32', 2),
  // [N, D] operands broadcast over batch and heads, as RoPE's tables are.
  a: tf.randomNormal([N, D], 0, 1, 'float32', 3),
  b: tf.randomNormal([N, D], 0, 1, 'float32', 4),
});

type In = ReturnType<typeof setup>;

// Encodings keep their cos/sin tables between calls: the warm-up call builds them, timed calls reuse them.
const halfSplit = rope({ headDim: D });
const interleaved = rope({ headDim: D, layout: 'interleaved' });
const partial = rope({ headDim: D, rotaryDim: D / 4 });
const rotate =
  (enc: ReturnType<typeof rope>) =>
  ({ q, k }: In) => {
    const out = enc.apply(q, k);
    return [out.q, out.k];
  };
const params = { N, H, d: D };

export default defineBenchSuite({
  name: 'encodings-rope',
  backends: ['wasm'],
  iterations: 15,
  cases: [
    {
      name: 'multiply-add q,k',
      params,
      flops: 2 * 2 * elements,
      setup,
      run: ({ q, k, a, b }: In) => tf.tidy(() => [tf.add(tf.mul(q, a), b), tf.add(tf.mul(k, a), b)]),
    },
    { name: 'rope half-split q,k', params, flops: 3 * 2 * elements, setup, run: rotate(halfSplit) },
    { name: 'rope interleaved q,k', params, flops: 3 * 2 * elements, setup, run: rotate(interleaved) },
    {
      name: 'rope half-split rotaryDim=16 q,k',
      params,
      flops: (3 * 2 * elements) / 4,
      setup,
      run: rotate(partial),
    },
  ],
  ratios: [
    {
      name: 'rope half-split / multiply-add (default layout)',
      numerator: 'rope half-split q,k',
      denominator: 'multiply-add q,k',
      target: { op: '<=', value: 3 },
    },
    {
      name: 'rope interleaved / multiply-add',
      numerator: 'rope interleaved q,k',
      denominator: 'multiply-add q,k',
    },
    {
      name: 'rope rotaryDim=16 / multiply-add',
      numerator: 'rope half-split rotaryDim=16 q,k',
      denominator: 'multiply-add q,k',
    },
  ],
});
