import { nope, rope } from '@efficient-attention/encodings';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { createMultiHeadAttention } from './multi-head-attention.js';
import { transformerRegistries } from './registries.js';

/** x·W in float64 for x `[rows, dIn]` and W `[dIn, dOut]`, row-major. */
function matmul(x: ArrayLike<number>, w: ArrayLike<number>, rows: number, dIn: number, dOut: number) {
  const out = new Float64Array(rows * dOut);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < dOut; j++) {
      let s = 0;
      for (let i = 0; i < dIn; i++) s += x[r * dIn + i]! * w[i * dOut + j]!;
      out[r * dOut + j] = s;
    }
  return out;
}

/** [batch, seq, heads·hd] → [batch, heads, seq, hd] (and back with `inverse`). */
function permute(x: ArrayLike<number>, b: number, n: number, h: number, hd: number, inverse = false) {
  const out = new Float64Array(b * n * h * hd);
  for (let bi = 0; bi < b; bi++)
    for (let t = 0; t < n; t++)
      for (let hi = 0; hi < h; hi++)
        for (let c = 0; c < hd; c++) {
          const bsd = ((bi * n + t) * h + hi) * hd + c;
          const bhsd = ((bi * h + hi) * n + t) * hd + c;
          if (inverse) out[bsd] = x[bhsd]!;
          else out[bhsd] = x[bsd]!;
        }
  return out;
}

describeBackends('createMultiHeadAttention', () => {
  const [B, N, D, H] = [2, 7, 12, 3];
  const hd = D / H;

  it('dense, no positions: equals the float64 reference of Vaswani et al. §3.2.2 (project, attend per head, merge)', () => {
    const mha = createMultiHeadAttention({
      dModel: D,
      heads: H,
      mechanism: transformerRegistries().mechanisms.get('dense'),
      mechanismConfig: {},
      positional: nope(),
      projections: 'float',
      causal: true,
      maxSeqLen: 16,
      seed: 3,
    });
    const x = seededTensor([B, N, D], 9);
    const w = (p: keyof typeof mha.projections) => mha.projections[p].weight.dataSync();
    const heads = (p: 'q' | 'k' | 'v') => permute(matmul(x.data, w(p), B * N, D, D), B, N, H, hd);
    const { output } = referenceAttention(
      {
        q: heads('q'),
        k: heads('k'),
        v: heads('v'),
        batch: B,
        heads: H,
        kvHeads: H,
        qLen: N,
        kvLen: N,
        headDim: hd,
        valueDim: hd,
      },
      { causal: true },
    );
    const expected = matmul(permute(output, B, N, H, hd, true), w('o'), B * N, D, D);
    expectNoLeaks(() => {
      const y = mha.apply(x.tensor);
      expect(y.shape).toEqual([B, N, D]);
      expectTensorsClose(y, expected, { atol: 1e-5, rtol: 1e-4 });
      return y;
    });
    x.tensor.dispose();
    mha.dispose();
  });

  it('rotary encodings rotate q and k at their positions: project(x, offset) matches rope.rotate', () => {
    const enc = rope({ headDim: hd });
    const mha = createMultiHeadAttention({
      dModel: D,
      heads: H,
      mechanism: transformerRegistries().mechanisms.get('dense'),
      mechanismConfig: {},
      positional: enc,
      projections: 'float',
      causal: true,
      maxSeqLen: 16,
      seed: 4,
    });
    const x = seededTensor([1, 3, D], 10);
    const plain = createMultiHeadAttention({
      dModel: D,
      heads: H,
      mechanism: transformerRegistries().mechanisms.get('dense'),
      mechanismConfig: {},
      positional: nope(),
      projections: 'float',
      causal: true,
      maxSeqLen: 16,
      seed: 4,
    });
    const rotated = mha.project(x.tensor, 5);
    const unrotated = plain.project(x.tensor, 5);
    const expectedQ = enc.rotate(unrotated.q, { positions: 5, role: 'query' });
    expectTensorsClose(rotated.q, expectedQ);
    expectTensorsClose(rotated.v, unrotated.v, { atol: 0, rtol: 0 });
    tf.dispose([x.tensor, expectedQ, ...Object.values(rotated), ...Object.values(unrotated)]);
    mha.dispose();
    plain.dispose();
    enc.dispose();
  });
});
