import { describe, expect, it } from 'vitest';
import { instantiateKernelModule, KernelArena } from './kernel-module.js';

// The softmax of every attention kernel exponentiates with the module's own vector exp2 (a degree-5
// minimax polynomial after a round-to-nearest split; assembly/kernels.ts). Checked here against
// Math.pow(2, x) in float64 over the whole range the kernels use (s − max ≤ 0) and its edges.
describe('the kernels’ vector exp2', () => {
  it('is within 3e-7 relative of 2^x on [−126, 0], and exactly 0 below −126 and at −∞', async () => {
    const kernels = await instantiateKernelModule();
    const arena = new KernelArena(kernels, kernels.heapBase);
    const dense = Array.from({ length: 200_000 }, (_, i) => -126 * (i / 199_999) ** 2); // denser near 0
    const edges = [0, -0, -1e-30, -0.5, 0.5 - 1, -1.5, -2.5, -125.5, -126, -126.0001, -127, -1e6, -Infinity];
    const values = [...dense, ...edges];
    const n = Math.ceil(values.length / 4) * 4;
    const xp = arena.alloc(4 * n);
    const op = arena.alloc(4 * n);
    const x = arena.f32(xp, n);
    x.set(values);
    kernels.exports.exp2Batch(xp, op, n);
    const out = arena.f32(op, n);
    let worst = 0;
    let worstAt = 0;
    const belowRange: number[] = [];
    values.forEach((_, i) => {
      const xi = x[i]!; // the float32 argument the kernel saw
      if (xi < -126) {
        belowRange.push(out[i]!);
        return;
      }
      const rel = Math.abs(out[i]! / 2 ** xi - 1);
      if (rel > worst) [worst, worstAt] = [rel, xi];
    });
    expect(worst, `worst relative error at x = ${worstAt}`).toBeLessThan(3e-7);
    expect(belowRange).toEqual([0, 0, 0, 0]); // −126.0001, −127, −1e6, −∞
    expect(worst).toBeGreaterThan(0); // the comparison saw real rounding, not a copy
  });

  it('keeps NaN lanes NaN (how a visible NaN score reaches its row), next to finite lanes', async () => {
    const kernels = await instantiateKernelModule();
    const arena = new KernelArena(kernels, kernels.heapBase);
    const values = [Number.NaN, -Infinity, 0, Number.NaN, -200, Number.NaN, -1, -0];
    const xp = arena.alloc(4 * values.length);
    const op = arena.alloc(4 * values.length);
    arena.f32(xp, values.length).set(values);
    kernels.exports.exp2Batch(xp, op, values.length);
    const out = Array.from(arena.f32(op, values.length));
    // Finite lanes within the polynomial's 2 ulp (2^0 is 1 + 2^-23 here).
    expect(out.map((y) => (Number.isNaN(y) ? 'NaN' : Math.round(y * 1e6) / 1e6))).toEqual([
      'NaN',
      0,
      1,
      'NaN',
      0,
      'NaN',
      0.5,
      1,
    ]);
  });
});
