import { IncompatibleOptionsError } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  createLinformerProjections,
  LINFORMER_SHARING,
  type LinformerProjections,
  linformerAttention,
} from './linformer.js';

/** softmax(q (E k)ᵀ / √d) (F v) in float64 loops, E and F read back from the variables. */
function linformer64(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  p: LinformerProjections,
  s: { batch: number; heads: number; kvHeads: number; qLen: number; n: number; d: number; dv: number },
): Float64Array {
  const e = p.e.dataSync();
  const f = p.f.dataSync();
  const r = p.projectedLength;
  const group = s.heads / s.kvHeads;
  const out = new Float64Array(s.batch * s.heads * s.qLen * s.dv);
  for (let b = 0; b < s.batch; b++)
    for (let h = 0; h < s.heads; h++) {
      const kh = Math.floor(h / group);
      const pOff = p.sharing === 'none' ? kh * r * s.n : 0;
      const kp = new Float64Array(r * s.d);
      const vp = new Float64Array(r * s.dv);
      for (let i = 0; i < r; i++)
        for (let j = 0; j < s.n; j++) {
          const base = (b * s.kvHeads + kh) * s.n + j;
          for (let t = 0; t < s.d; t++) kp[i * s.d + t]! += e[pOff + i * s.n + j]! * k[base * s.d + t]!;
          for (let t = 0; t < s.dv; t++) vp[i * s.dv + t]! += f[pOff + i * s.n + j]! * v[base * s.dv + t]!;
        }
      for (let i = 0; i < s.qLen; i++) {
        const row = (b * s.heads + h) * s.qLen + i;
        const scores = Array.from({ length: r }, (_, c) => {
          let acc = 0;
          for (let t = 0; t < s.d; t++) acc += q[row * s.d + t]! * kp[c * s.d + t]!;
          return acc / Math.sqrt(s.d);
        });
        const max = Math.max(...scores);
        const w = scores.map((x) => Math.exp(x - max));
        const z = w.reduce((a, x) => a + x, 0);
        for (let c = 0; c < r; c++)
          for (let t = 0; t < s.dv; t++) out[row * s.dv + t]! += (w[c]! / z) * vp[c * s.dv + t]!;
      }
    }
  return out;
}

describeBackends('linformerAttention', () => {
  it('equals softmax(q (E k)ᵀ/√d)(F v) in float64 for every sharing mode, GQA and cross lengths', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          kvHeads: fc.integer({ min: 1, max: 2 }),
          group: fc.integer({ min: 1, max: 2 }),
          qLen: fc.integer({ min: 1, max: 30 }),
          n: fc.integer({ min: 1, max: 40 }),
          projectedLength: fc.integer({ min: 1, max: 12 }),
          d: fc.integer({ min: 1, max: 8 }),
          dv: fc.integer({ min: 1, max: 6 }),
          sharing: fc.constantFrom(...LINFORMER_SHARING),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        ({ batch, kvHeads, group, qLen, n, projectedLength, d, dv, sharing, seed }) => {
          const heads = kvHeads * group;
          const p = createLinformerProjections({ seqLen: n, projectedLength, heads: kvHeads, sharing, seed });
          const q = seededTensor([batch, heads, qLen, d], seed + 1);
          const k = seededTensor([batch, kvHeads, n, d], seed + 2);
          const v = seededTensor([batch, kvHeads, n, dv], seed + 3);
          const out = linformerAttention(q.tensor, k.tensor, v.tensor, p);
          const s = { batch, heads, kvHeads, qLen, n, d, dv };
          // float32 projections and softmax vs float64: sums of ≤ 40 terms.
          expectTensorsClose(out, linformer64(q.data, k.data, v.data, p, s), { atol: 3e-5, rtol: 3e-4 });
          tf.dispose([out, q.tensor, k.tensor, v.tensor]);
          p.dispose();
        },
      ),
      { numRuns: 20, seed: 8 },
    );
  });

  it('shares parameters as documented', () => {
    const none = createLinformerProjections({ seqLen: 10, projectedLength: 4, heads: 3, sharing: 'none' });
    const headwise = createLinformerProjections({ seqLen: 10, projectedLength: 4 });
    const kv = createLinformerProjections({ seqLen: 10, projectedLength: 4, sharing: 'key-value' });
    expect(none.e.shape).toEqual([3, 4, 10]);
    expect(Object.keys(none.variables)).toEqual(['e', 'f']);
    expect(headwise.sharing).toBe('headwise');
    expect(headwise.e.shape).toEqual([4, 10]);
    expect(headwise.e).not.toBe(headwise.f);
    expect(kv.e).toBe(kv.f);
    expect(Object.keys(kv.variables)).toEqual(['e']);
    expect(createLinformerProjections({ seqLen: 100 }).projectedLength).toBe(100); // min(256, n)
    for (const p of [none, headwise, kv]) p.dispose();
  });

  it('layerwise: one projection serves several layers, and their gradients add up in it', () => {
    const shared = createLinformerProjections({
      seqLen: 12,
      projectedLength: 5,
      sharing: 'layerwise',
      seed: 2,
    });
    const x1 = seededTensor([1, 2, 12, 4], 1).tensor;
    const x2 = seededTensor([1, 2, 12, 4], 2).tensor;
    const layer = (x: tf.Tensor) => tf.sum(tf.square(linformerAttention(x, x, x, shared))) as tf.Scalar;
    const both = tf.variableGrads(() => tf.add(layer(x1), layer(x2)) as tf.Scalar, [shared.e]);
    const one = tf.variableGrads(() => layer(x1), [shared.e]);
    const two = tf.variableGrads(() => layer(x2), [shared.e]);
    const id = shared.e.name;
    expectTensorsClose(both.grads[id]!, tf.add(one.grads[id]!, two.grads[id]!), { atol: 1e-5, rtol: 1e-4 });
    expect(tf.max(tf.abs(both.grads[id]!)).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([
      x1,
      x2,
      both.value,
      one.value,
      two.value,
      ...[both, one, two].flatMap((g) => Object.values(g.grads)),
    ]);
    shared.dispose();
  });

  it('refuses causal with a reason, another length, mismatched heads and bad options', () => {
    const p = createLinformerProjections({ seqLen: 16, projectedLength: 4 });
    const x = tf.zeros([1, 2, 16, 4]);
    expect(() => linformerAttention(x, x, x, p, { causal: true })).toThrow(IncompatibleOptionsError);
    expect(() => linformerAttention(x, x, x, p, { causal: true })).toThrow(/cannot be causal.*future/);
    const longer = tf.zeros([1, 2, 20, 4]);
    expect(() => linformerAttention(x, longer, longer, p)).toThrow(
      /`k.shape\[2\] \(sequence length\)` must be 16 \(the length the projections were built for\), received 20\. .*pad the input to 16 tokens/,
    );
    const perHead = createLinformerProjections({ seqLen: 16, projectedLength: 4, heads: 3, sharing: 'none' });
    expect(() => linformerAttention(x, x, x, perHead)).toThrow(/`k.shape\[1\] \(kv heads\)` must be 3/);
    expect(() => createLinformerProjections({ seqLen: 16, sharing: 'all' as never })).toThrow(
      /`options.sharing` must be one of none, headwise, key-value, layerwise/,
    );
    expect(() => createLinformerProjections({ seqLen: 0 })).toThrow(
      /`options.seqLen` must be an integer ≥ 1/,
    );
    expect(() => linformerAttention(x, x, x, {} as never)).toThrow(
      /`projections` must be projections from createLinformerProjections/,
    );
    expectNoLeaks(() => linformerAttention(x, x, x, p));
    const twoHeads = createLinformerProjections({
      seqLen: 16,
      projectedLength: 4,
      heads: 2,
      sharing: 'none',
    });
    expectNoLeaks(() => linformerAttention(x, x, x, twoHeads));
    tf.dispose([x, longer]);
    for (const q of [p, perHead, twoHeads]) q.dispose();
  });
});
