import { InvalidArgumentError } from '@efficient-attention/core';
import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import { expect, it } from 'vitest';
import { alibi, alibiSlopes } from './alibi.js';
import { dotProductVsDistance, encodingMatrix } from './figure-data.js';
import { learnedPosition } from './learned-position.js';
import { nope } from './nope.js';
import { rope } from './rope.js';
import { sinusoidal } from './sinusoidal.js';

const flat = (m: number[][]) => m.flat();

describeBackends('figure data', () => {
  it('sinusoidal: the matrix is the closed-form table; the curve is Σ_i cos(k·ω_i)', () => {
    const enc = sinusoidal({ dim: 16 });
    const m = encodingMatrix(enc, 20, 16);
    expect(m).toHaveLength(20);
    expect(m[0]).toHaveLength(16);
    const w = (j: number) => 10000 ** (-(2 * Math.floor(j / 2)) / 16);
    expectTensorsClose(
      flat(m),
      Array.from({ length: 320 }, (_, idx) => {
        const [p, j] = [Math.floor(idx / 16), idx % 16];
        return j % 2 === 0 ? Math.sin(p * w(j)) : Math.cos(p * w(j));
      }),
      { atol: 1e-6, rtol: 0 },
    );
    const { distance, value } = dotProductVsDistance(enc, { length: 50 });
    expect(distance).toEqual(Array.from({ length: 50 }, (_, k) => k));
    // ⟨PE(0), PE(k)⟩ = Σ_i cos(k ω_i) (sin 0 = 0, cos 0 = 1); 16 float32 terms: atol 1e-5.
    expectTensorsClose(
      value,
      distance.map((k) =>
        Array.from({ length: 8 }, (_, i) => Math.cos(k * 10000 ** (-(2 * i) / 16))).reduce((a, b) => a + b),
      ),
      { atol: 1e-5, rtol: 0 },
    );
    enc.dispose();
  });

  it('rope: rows are (cos pθ_i, sin pθ_i) per pair in the layout’s order; the curve is Σ 2cos(kθ_i) + unrotated dims', () => {
    const enc = rope({ headDim: 8, rotaryDim: 6, layout: 'interleaved' });
    const theta = (i: number) => 10000 ** (-(2 * i) / 6);
    const m = encodingMatrix(enc, 5, 8);
    for (let p = 0; p < 5; p++) {
      const expected = [0, 1, 2]
        .flatMap((i) => [Math.cos(p * theta(i)), Math.sin(p * theta(i))])
        .concat([1, 1]);
      expectTensorsClose(m[p]!, expected, { atol: 1e-6, rtol: 0 });
    }
    const { value } = dotProductVsDistance(enc, { length: 30, dim: 8 });
    expectTensorsClose(
      value,
      Array.from({ length: 30 }, (_, k) => 2 + [0, 1, 2].reduce((s, i) => s + 2 * Math.cos(k * theta(i)), 0)),
      { atol: 1e-5, rtol: 0 },
    );
    const half = rope({ headDim: 4, layout: 'half-split' });
    const mh = encodingMatrix(half, 3);
    // Half-split order: (cos θ0 p, cos θ1 p, sin θ0 p, sin θ1 p).
    expectTensorsClose(mh[2]!, [Math.cos(2), Math.cos(0.02), Math.sin(2), Math.sin(0.02)], {
      atol: 1e-6,
      rtol: 0,
    });
    enc.dispose();
    half.dispose();
  });

  it('alibi: the matrix is head h’s bias; the curve is −m_h·k', () => {
    const enc = alibi({ heads: 4 });
    const m = encodingMatrix(enc, 3, 5, { head: 2 });
    const slope = alibiSlopes(4)[2]!;
    expectTensorsClose(
      flat(m),
      Array.from({ length: 15 }, (_, idx) => -slope * Math.abs(Math.floor(idx / 5) - (idx % 5))),
      { atol: 1e-6, rtol: 1e-6 },
    );
    const { value } = dotProductVsDistance(enc, { length: 10, head: 3 });
    expectTensorsClose(
      value,
      Array.from({ length: 10 }, (_, k) => -alibiSlopes(4)[3]! * k),
      { atol: 1e-6, rtol: 1e-6 },
    );
    enc.dispose();
  });

  it('nope gives zeros; learned tables come straight from the variable', () => {
    expect(encodingMatrix(nope(), 2, 3)).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(dotProductVsDistance(nope(), { length: 3 }).value).toEqual([0, 0, 0]);
    const enc = learnedPosition({ dim: 2, maxLength: 4, seed: 5 });
    expectTensorsClose(flat(encodingMatrix(enc, 4)), enc.variables.table!, { atol: 0, rtol: 0 });
    enc.dispose();
  });

  it('leaks nothing and rejects sizes that do not fit the encoding', () => {
    const s = sinusoidal({ dim: 4 });
    const r = rope({ headDim: 4 });
    const a = alibi({ heads: 2 });
    encodingMatrix(r, 8); // fill caches before counting
    encodingMatrix(s, 8);
    expectNoLeaks(() => {
      encodingMatrix(s, 8);
      encodingMatrix(r, 8);
      encodingMatrix(a, 4, 4);
      dotProductVsDistance(r, { length: 8 });
      dotProductVsDistance(a, { length: 8 });
    });
    const bad: Array<[() => unknown, RegExp]> = [
      [() => encodingMatrix(s, 4, 8), /`dim` must be 4/],
      [() => encodingMatrix(nope(), 4), /a width/],
      [() => encodingMatrix(a, 0, 2), /length/],
      [() => encodingMatrix(a, 2, 2, { head: 2 }), /head.*≤ 1/],
      [() => dotProductVsDistance(r, { length: 4, dim: 6 }), /`dim` must be 4/],
      [() => dotProductVsDistance(r, undefined as never), /options/],
      [() => dotProductVsDistance(r, { length: 4, heads: 1 } as never), /options\.heads/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
    for (const e of [s, r, a]) e.dispose();
  });
});
