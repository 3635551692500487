import { InvalidArgumentError } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { assertXposRange, resolveXpos } from './xpos.js';

describe('resolveXpos', () => {
  it('has torchscale decay rates ζ_i = (2i + γd)/((1 + γ)d) and opposite query/key amplitudes', () => {
    const x = resolveXpos('rope', 16, true);
    for (let i = 0; i < 8; i++) {
      const zeta = (2 * i + 0.4 * 16) / (1.4 * 16);
      expect(x.decay[i]).toBeCloseTo(zeta, 15);
      expect(x.amplitude(i, 1024, 'query')).toBeCloseTo(zeta ** 2, 14);
      expect(x.amplitude(i, 1024, 'key')).toBeCloseTo(zeta ** -2, 12);
      // The product depends on the distance only.
      expect(x.amplitude(i, 900, 'query') * x.amplitude(i, 100, 'key')).toBeCloseTo(zeta ** (800 / 512), 12);
    }
    const custom = resolveXpos('rope', 4, { scaleBase: 100, gamma: 1 });
    expect(custom.decay[1]).toBeCloseTo((2 / 4 + 1) / 2, 15);
    expect(custom.amplitude(1, 100, 'query')).toBeCloseTo(0.75, 15);
  });

  it('bounds positions where ζ_min^(−p/scaleBase) would pass 1e30', () => {
    const x = resolveXpos('rope', 64, {});
    expect(x.decay[0]! ** (-x.maxPosition / 512)).toBeLessThanOrEqual(1e30);
    expect(x.decay[0]! ** (-(x.maxPosition + 1) / 512)).toBeGreaterThan(1e30 * 0.999);
    expect(() => assertXposRange('rope.apply', 'options.positions', x, x.maxPosition)).not.toThrow();
    expect(() => assertXposRange('rope.apply', 'options.positions', x, x.maxPosition + 1)).toThrow(
      /overflow float32/,
    );
  });

  it('rejects bad options', () => {
    expect(() => resolveXpos('rope', 8, { scaleBase: 0 })).toThrow(InvalidArgumentError);
    expect(() => resolveXpos('rope', 8, { gamma: -1 })).toThrow(/gamma/);
    expect(() => resolveXpos('rope', 8, { base: 3 } as never)).toThrow(/options\.base/);
  });
});
