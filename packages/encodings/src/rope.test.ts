import { IncompatibleOptionsError, InvalidArgumentError, type RopeLayout } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededNormalValues,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it, vi } from 'vitest';
import { rope } from './rope.js';

interface Geometry {
  batch: number;
  heads: number;
  seq: number;
  headDim: number;
  rotaryDim: number;
  layout: RopeLayout;
}

/** Pair members (a, b) of pair i, written from the layout definitions (not from the library). */
function members(layout: RopeLayout, rotaryDim: number, i: number): [number, number] {
  return layout === 'half-split' ? [i, i + rotaryDim / 2] : [2 * i, 2 * i + 1];
}

/**
 * Float64 RoPE: row r of x (position positions[r mod seq]) has each pair rotated by angle p·θ_i and scaled
 * by amp(i, p); θ_i = base^(−2i/rotaryDim) unless `theta` is given.
 */
function ropeFloat64(
  x: ArrayLike<number>,
  g: Geometry,
  positions: readonly number[],
  options: { base?: number; theta?: (i: number) => number; amp?: (i: number, p: number) => number } = {},
): Float64Array {
  const out = Float64Array.from(x);
  const theta = options.theta ?? ((i: number) => (options.base ?? 10000) ** (-(2 * i) / g.rotaryDim));
  for (let r = 0; r < g.batch * g.heads * g.seq; r++) {
    const p = positions[r % g.seq]!;
    for (let i = 0; i < g.rotaryDim / 2; i++) {
      const [a, b] = members(g.layout, g.rotaryDim, i);
      const [xa, xb] = [x[r * g.headDim + a]!, x[r * g.headDim + b]!];
      const s = options.amp?.(i, p) ?? 1;
      const c = Math.cos(p * theta(i)) * s;
      const sn = Math.sin(p * theta(i)) * s;
      out[r * g.headDim + a] = xa * c - xb * sn;
      out[r * g.headDim + b] = xa * sn + xb * c;
    }
  }
  return out;
}

const geometry: fc.Arbitrary<Geometry> = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    heads: fc.integer({ min: 1, max: 3 }),
    seq: fc.integer({ min: 1, max: 12 }),
    pairs: fc.integer({ min: 1, max: 8 }),
    rotaryPairs: fc.integer({ min: 1, max: 8 }),
    layout: fc.constantFrom<RopeLayout>('half-split', 'interleaved'),
  })
  .map(({ pairs, rotaryPairs, ...g }) => ({
    ...g,
    headDim: 2 * pairs,
    rotaryDim: 2 * Math.min(pairs, rotaryPairs),
  }));

const range = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i);
const shapeOf = (g: Geometry) => [g.batch, g.heads, g.seq, g.headDim];

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

describeBackends('rope', () => {
  it('matches the closed form for random shapes, layouts, partial rotary dims, bases and offsets', () => {
    fc.assert(
      fc.property(
        geometry,
        fc.constantFrom(10000, 500, 1_000_000),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 1e6 }),
        (g, base, offset, seed) => {
          const enc = rope({ headDim: g.headDim, rotaryDim: g.rotaryDim, layout: g.layout, base });
          const x = seededTensor(shapeOf(g), seed);
          const y = enc.rotate(x.tensor, { positions: offset });
          // Float32 tables of exact float64 angles; O(1) values: default atol 1e-5, rtol 1e-4.
          expectTensorsClose(y, ropeFloat64(x.data, g, range(offset, g.seq), { base }));
          tf.dispose([x.tensor, y]);
          enc.dispose();
        },
      ),
      { seed: 101, numRuns: 20 },
    );
  });

  it('takes an explicit list of positions (repeats and gaps allowed)', () => {
    fc.assert(
      fc.property(geometry, fc.integer({ min: 0, max: 1e6 }), (g, seed) => {
        const positions = seededNormalValues(g.seq, seed + 7).map((v) => Math.floor(Math.abs(v) * 300));
        const enc = rope({ headDim: g.headDim, rotaryDim: g.rotaryDim, layout: g.layout });
        const x = seededTensor(shapeOf(g), seed);
        const y = enc.rotate(x.tensor, { positions: Array.from(positions) });
        // Angles up to ~1000 rad: the float32 table entries stay within 1e-7 of the float64 values.
        expectTensorsClose(y, ropeFloat64(x.data, g, Array.from(positions)));
        tf.dispose([x.tensor, y]);
        enc.dispose();
      }),
      { seed: 102, numRuns: 12 },
    );
  });

  it('preserves the norm of every row, at any position', () => {
    fc.assert(
      fc.property(
        geometry,
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 0, max: 1e6 }),
        (g, offset, seed) => {
          const enc = rope({ headDim: g.headDim, rotaryDim: g.rotaryDim, layout: g.layout });
          const x = seededTensor(shapeOf(g), seed);
          const y = enc.rotate(x.tensor, { positions: offset });
          const yv = y.dataSync();
          for (let r = 0; r < g.batch * g.heads * g.seq; r++) {
            const row = (v: ArrayLike<number>) =>
              Array.from({ length: g.headDim }, (_, j) => v[r * g.headDim + j]!);
            const before = Math.hypot(...row(x.data));
            // Rotation by float32 cos/sin: |cos² + sin² − 1| ≤ ~1e-7, so norms agree to 1e-5 relative.
            expect(Math.abs(Math.hypot(...row(yv)) - before)).toBeLessThanOrEqual(1e-5 * before + 1e-6);
          }
          tf.dispose([x.tensor, y]);
          enc.dispose();
        },
      ),
      { seed: 103, numRuns: 10 },
    );
  });

  it('makes ⟨rope(q, m), rope(k, n)⟩ depend only on m − n', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }).map((p) => 2 * p),
        fc.constantFrom<RopeLayout>('half-split', 'interleaved'),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 1e6 }),
        (headDim, layout, m, n, shift, seed) => {
          const enc = rope({ headDim, layout });
          const q = seededTensor([1, 1, 1, headDim], seed);
          const k = seededTensor([1, 1, 1, headDim], seed + 1);
          const score = (qp: number, kp: number) => {
            const { q: qr, k: kr } = enc.apply(q.tensor, k.tensor, { positions: qp, kvPositions: kp });
            const s = dot(qr.dataSync(), kr.dataSync());
            tf.dispose([qr, kr]);
            return s;
          };
          const scale = Math.hypot(...q.data) * Math.hypot(...k.data);
          // Positions ≤ 4000: float32 cos/sin of exact angles, so scores agree to ~1e-6·|q||k|; allow 1e-5.
          expect(Math.abs(score(m + shift, n + shift) - score(m, n))).toBeLessThanOrEqual(1e-5 * scale);
          tf.dispose([q.tensor, k.tensor]);
          enc.dispose();
        },
      ),
      { seed: 104, numRuns: 15 },
    );
  });

  it('gives the same function in both layouts up to a permutation of the head dimension', () => {
    fc.assert(
      fc.property(
        geometry,
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 1e6 }),
        (g, offset, seed) => {
          // P maps interleaved dimension 2i → i and 2i + 1 → i + rotaryDim/2 (a pass-through dimension stays).
          const perm = Array.from({ length: g.headDim }, (_, j) => j);
          for (let i = 0; i < g.rotaryDim / 2; i++) {
            perm[2 * i] = i;
            perm[2 * i + 1] = i + g.rotaryDim / 2;
          }
          const x = seededTensor(shapeOf(g), seed);
          const permuted = new Float32Array(x.data.length);
          for (let r = 0; r < x.data.length / g.headDim; r++) {
            for (let j = 0; j < g.headDim; j++)
              permuted[r * g.headDim + perm[j]!] = x.data[r * g.headDim + j]!;
          }
          const inter = rope({ headDim: g.headDim, rotaryDim: g.rotaryDim, layout: 'interleaved' });
          const half = rope({ headDim: g.headDim, rotaryDim: g.rotaryDim, layout: 'half-split' });
          const xp = tf.tensor(permuted, shapeOf(g));
          const a = inter.rotate(x.tensor, { positions: offset }).dataSync();
          const b = half.rotate(xp, { positions: offset }).dataSync();
          const back = Array.from(a, (_, idx) => {
            const r = Math.floor(idx / g.headDim);
            return b[r * g.headDim + perm[idx % g.headDim]!]!;
          });
          // Same float32 tables and products, only reordered: equal to rounding.
          expectTensorsClose(back, a, { atol: 1e-6, rtol: 1e-6 });
          tf.dispose([x.tensor, xp]);
          inter.dispose();
          half.dispose();
        },
      ),
      { seed: 105, numRuns: 12 },
    );
  });

  it('rotates a sequence in chunks (KV cache) exactly as in one piece', () => {
    const enc = rope({ headDim: 8 });
    const x = seededTensor([1, 2, 10, 8], 5);
    const whole = enc.rotate(x.tensor);
    const first = enc.rotate(tf.slice(x.tensor, [0, 0, 0, 0], [-1, -1, 6, -1]));
    const rest = enc.rotate(tf.slice(x.tensor, [0, 0, 6, 0], [-1, -1, 4, -1]), { positions: 6 });
    // Identical table rows and kernel: bitwise-level agreement.
    expectTensorsClose(tf.concat([first, rest], 2), whole, { atol: 1e-7, rtol: 0 });
    tf.dispose([x.tensor, whole, first, rest]);
    enc.dispose();
  });

  it('aligns q and k of different lengths bottom-right by default, and needs both position lists otherwise', () => {
    const g: Geometry = { batch: 1, heads: 2, seq: 3, headDim: 6, rotaryDim: 6, layout: 'half-split' };
    const enc = rope({ headDim: 6 });
    const q = seededTensor([1, 2, 3, 6], 1);
    const k = seededTensor([1, 2, 5, 6], 2);
    const { q: qr, k: kr } = enc.apply(q.tensor, k.tensor);
    // The last query sits with the last key: queries at 2, 3, 4; keys at 0 … 4.
    expectTensorsClose(qr, ropeFloat64(q.data, g, [2, 3, 4]));
    expectTensorsClose(kr, ropeFloat64(k.data, { ...g, seq: 5 }, range(0, 5)));
    const explicit = enc.apply(q.tensor, k.tensor, { positions: [7, 1, 0], kvPositions: 3 });
    expectTensorsClose(explicit.q, ropeFloat64(q.data, g, [7, 1, 0]));
    expectTensorsClose(explicit.k, ropeFloat64(k.data, { ...g, seq: 5 }, range(3, 5)));
    expect(() => enc.apply(q.tensor, k.tensor, { positions: 4 })).toThrow(IncompatibleOptionsError);
    // Same lengths: one list serves both.
    const same = enc.apply(q.tensor, q.tensor, { kvPositions: 9 });
    expectTensorsClose(same.q, same.k, { atol: 0, rtol: 0 });
    tf.dispose([q.tensor, k.tensor, qr, kr, explicit.q, explicit.k, same.q, same.k]);
    enc.dispose();
  });

  it('with xPos requires rotate’s role (it scales queries and keys oppositely); without xPos the role changes nothing', () => {
    const x = seededTensor([1, 1, 3, 8], 5);
    const xposEnc = rope({ headDim: 8, xpos: true });
    expect(() => xposEnc.rotate(x.tensor)).toThrow(InvalidArgumentError);
    expect(() => xposEnc.rotate(x.tensor, { positions: 4 })).toThrow(
      /rope\.rotate: `options\.role` must be 'query' \| 'key'.*received undefined/,
    );
    const plain = rope({ headDim: 8 });
    const implicit = plain.rotate(x.tensor, { positions: 4 });
    const asQuery = plain.rotate(x.tensor, { positions: 4, role: 'query' });
    const asKey = plain.rotate(x.tensor, { positions: 4, role: 'key' });
    expect(Array.from(implicit.dataSync())).toEqual(Array.from(asQuery.dataSync()));
    expect(Array.from(implicit.dataSync())).toEqual(Array.from(asKey.dataSync()));
    tf.dispose([x.tensor, implicit, asQuery, asKey]);
    xposEnc.dispose();
    plain.dispose();
  });

  it('applies xPos: queries scaled by ζ^(m/512), keys by ζ^(−n/512), scores still relative', () => {
    const g: Geometry = { batch: 1, heads: 1, seq: 4, headDim: 8, rotaryDim: 8, layout: 'interleaved' };
    const enc = rope({ headDim: 8, layout: 'interleaved', xpos: true });
    // torchscale XPOS: ζ_i = (2i + 0.4·d)/(1.4·d).
    const zeta = (i: number) => (2 * i + 0.4 * 8) / (1.4 * 8);
    const x = seededTensor([1, 1, 4, 8], 3);
    const q = enc.rotate(x.tensor, { positions: 100, role: 'query' });
    const k = enc.rotate(x.tensor, { positions: 100, role: 'key' });
    const positions = range(100, 4);
    expectTensorsClose(q, ropeFloat64(x.data, g, positions, { amp: (i, p) => zeta(i) ** (p / 512) }));
    expectTensorsClose(k, ropeFloat64(x.data, g, positions, { amp: (i, p) => zeta(i) ** (-p / 512) }));
    const ones = tf.ones([1, 1, 1, 8]);
    const score = (m: number, n: number) => {
      const r = enc.apply(ones, ones, { positions: m, kvPositions: n });
      const s = dot(r.q.dataSync(), r.k.dataSync());
      tf.dispose([r.q, r.k]);
      return s;
    };
    // Relative (to float32 rounding), and decaying with distance.
    expect(score(900, 700)).toBeCloseTo(score(200, 0), 4);
    const closeForm = (d: number) => {
      let s = 0;
      for (let i = 0; i < 4; i++) s += 2 * zeta(i) ** (d / 512) * Math.cos(d * 10000 ** (-(2 * i) / 8));
      return s;
    };
    expect(score(300, 0)).toBeCloseTo(closeForm(300), 4);
    tf.dispose([x.tensor, q, k, ones]);
    enc.dispose();
  });

  it('scales the tables: linear interpolation, NTK-aware base and YaRN attention factor reach the output', () => {
    const g: Geometry = { batch: 1, heads: 1, seq: 5, headDim: 8, rotaryDim: 8, layout: 'half-split' };
    const x = seededTensor([1, 1, 5, 8], 9);
    const positions = range(40, 5);
    const linear = rope({ headDim: 8, scaling: { type: 'linear', factor: 4 } });
    const yl = linear.rotate(x.tensor, { positions: 40 });
    // Position interpolation: position p rotates like p / 4 without scaling.
    expectTensorsClose(yl, ropeFloat64(x.data, g, positions, { theta: (i) => 10000 ** (-i / 4) / 4 }));
    const ntk = rope({ headDim: 8, scaling: { type: 'ntk', factor: 4 } });
    const yn = ntk.rotate(x.tensor, { positions: 40 });
    expectTensorsClose(yn, ropeFloat64(x.data, g, positions, { base: 10000 * 4 ** (8 / 6) }));
    const yarn = rope({ headDim: 8, scaling: { type: 'yarn', factor: 4, originalMaxLength: 64 } });
    const yy = yarn.rotate(x.tensor, { positions: 40 });
    const a = 0.1 * Math.log(4) + 1;
    expect(yarn.attentionFactor).toBeCloseTo(a, 12);
    expectTensorsClose(
      yy,
      ropeFloat64(x.data, g, positions, { theta: (i) => yarn.inverseFrequencies[i]!, amp: () => a }),
    );
    tf.dispose([x.tensor, yl, yn, yy]);
    for (const e of [linear, ntk, yarn]) e.dispose();
  });

  it('carries gradients to q and k (the inverse rotation of the upstream gradient)', () => {
    const g: Geometry = { batch: 2, heads: 2, seq: 3, headDim: 6, rotaryDim: 4, layout: 'interleaved' };
    const enc = rope({ headDim: 6, rotaryDim: 4, layout: 'interleaved' });
    const x = seededTensor(shapeOf(g), 21);
    const w = seededTensor(shapeOf(g), 22);
    const grad = tf.grad((q: tf.Tensor) => tf.sum(tf.mul(w.tensor, enc.rotate(q, { positions: 5 }))))(
      x.tensor,
    );
    // ∂Σ w·R x / ∂x = Rᵀ w = rotation of w by −angle.
    expectTensorsClose(grad, ropeFloat64(w.data, g, range(5, 3), { theta: (i) => -(10000 ** (-i / 2)) }));
    tf.dispose([x.tensor, w.tensor, grad]);
    enc.dispose();
  });

  it('caches the tables: repeated calls do no trigonometry and keep no new tensors; dispose frees them', () => {
    const before = tf.memory().numTensors;
    const enc = rope({ headDim: 16, xpos: true });
    const x = seededTensor([1, 2, 20, 16], 1).tensor;
    tf.dispose(enc.apply(x, x));
    const cached = tf.memory().numTensors - before - 1; // minus x
    expect(cached).toBe(4); // cos and sin, for queries and keys (xPos scales them apart)
    const cos = vi.spyOn(Math, 'cos');
    const sin = vi.spyOn(Math, 'sin');
    try {
      expectNoLeaks(() => enc.apply(x, x, { positions: 30 }));
      expectNoLeaks(() =>
        enc.rotate(x, {
          positions: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4],
          role: 'key',
        }),
      );
      expect(cos).not.toHaveBeenCalled();
      expect(sin).not.toHaveBeenCalled();
      // A position past the cached range grows the tables (and computes them once).
      tf.dispose(enc.rotate(x, { positions: 1000, role: 'query' }));
      expect(cos).toHaveBeenCalled();
    } finally {
      cos.mockRestore();
      sin.mockRestore();
    }
    expect(tf.memory().numTensors - before - 1).toBe(4);
    enc.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks nothing, forward or backward', () => {
    const enc = rope({ headDim: 10, rotaryDim: 6 });
    const q = seededTensor([1, 2, 7, 10], 1).tensor;
    tf.dispose(enc.apply(q, q)); // fill the cache
    expectNoLeaks(() => enc.apply(q, q, { positions: 2 }));
    expectNoLeaks(() => tf.grad((t: tf.Tensor) => tf.sum(enc.rotate(t)))(q));
    q.dispose();
    enc.dispose();
  });

  it('rejects bad options and inputs with InvalidArgumentError', () => {
    const bad: Array<[() => unknown, RegExp]> = [
      [() => rope({ headDim: 7 }), /headDim.*even/],
      [() => rope({ headDim: 8, rotaryDim: 10 }), /rotaryDim.*≤ headDim \(8\)/],
      [() => rope({ headDim: 8, rotaryDim: 3 }), /rotaryDim.*even/],
      [() => rope({ headDim: 8, base: 1 }), /base.*> 1/],
      [() => rope({ headDim: 8, layout: 'neox' as RopeLayout }), /layout/],
      [() => rope({ headDim: 8, scaling: { type: 'linear', factor: 0 } }), /factor.*> 0, received 0/],
      [() => rope({ headDim: 8, scaling: { type: 'ntk', factor: -2 } }), /factor.*> 0, received -2/],
      [() => rope({ headDim: 8, scaling: { type: 'yarn', factor: 0, originalMaxLength: 10 } }), /factor/],
      [
        () => rope({ headDim: 8, scaling: { type: 'dynamic', factor: 2 } as never }),
        /type 'linear', 'ntk' or 'yarn'/,
      ],
      [() => rope({ headDim: 8, xpos: 'yes' as never }), /xpos/],
      [() => rope({ headDim: 8, rotary: 4 } as never), /options\.rotary/],
      [() => rope(undefined as never), /options/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
    const enc = rope({ headDim: 4, xpos: true });
    const x = tf.zeros([1, 1, 3, 4]);
    const badCalls: Array<[() => unknown, RegExp]> = [
      [() => enc.rotate(x, { positions: -1 }), /positions.*non-negative integer/],
      [() => enc.rotate(x, { positions: 1.5 }), /positions/],
      [() => enc.rotate(x, { positions: [0, -2, 1] }), /positions\[1\]/],
      [() => enc.rotate(x, { positions: [0, 1] }), /positions\.length.*3/],
      [() => enc.rotate(tf.zeros([1, 3, 4])), /\[batch, heads, seq, 4\]/],
      [() => enc.rotate(tf.zeros([1, 1, 3, 6])), /\[batch, heads, seq, 4\]/],
      [() => enc.rotate(tf.zeros([1, 1, 3, 4], 'int32')), /dtype/],
      [() => enc.rotate(x, { role: 'value' as never }), /role/],
      [() => enc.rotate(x, { positions: 1_000_000 }), /overflow float32/],
      [() => enc.apply(x, x, { kvPositions: -3 }), /kvPositions/],
    ];
    for (const [f, message] of badCalls) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
    x.dispose();
    enc.dispose();
  });
});
