import { describe, expect, it } from 'vitest';
import { createRandom, hashSeed } from './random.js';

describe('createRandom', () => {
  it('is a pure function of the seed', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(createRandom(43).uniform()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws normals with mean ≈ 0 and variance ≈ 1, and distinct samples', () => {
    const r = createRandom(1);
    const n = r.normalArray(50_000);
    const mean = n.reduce((s, x) => s + x, 0) / n.length;
    const variance = n.reduce((s, x) => s + (x - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    const picks = r.sample(100, 30);
    expect(new Set(picks).size).toBe(30);
    expect(picks.every((p) => p >= 0 && p < 100)).toBe(true);
    expect(() => r.sample(3, 4)).toThrow(/`k` must be at most n = 3, received 4/);
    expect(() => createRandom(0.5)).toThrow(/`seed` must be an integer/);
  });

  it('hashSeed mixes coordinates deterministically', () => {
    expect(hashSeed(1, 2, 3)).toBe(hashSeed(1, 2, 3));
    expect(hashSeed(1, 2, 3)).not.toBe(hashSeed(1, 3, 2));
    expect(Number.isInteger(hashSeed(7))).toBe(true);
  });
});
