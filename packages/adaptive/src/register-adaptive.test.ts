import { MechanismRegistry } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { registerAdaptive } from './register-adaptive.js';

describe('registerAdaptive', () => {
  it('registers the five adaptive mechanisms once, with their capabilities as data', () => {
    const registry = new MechanismRegistry();
    registerAdaptive(registry);
    expect(registry.names()).toEqual([
      'adaptive-span',
      'dynamic-span',
      'entmax-alpha',
      'entmax15',
      'sparsemax',
    ]);
    expect(registry.list().every((d) => d.capabilities.family === 'adaptive')).toBe(true);
    expect(registry.get('adaptive-span').capabilities.accuracy.kind).toBe('exact');
    expect(
      ['adaptive-span', 'dynamic-span', 'entmax-alpha'].every(
        (n) => registry.get(n).capabilities.trainableParameters,
      ),
    ).toBe(true);
    expect(() => registerAdaptive(registry)).toThrow(/"adaptive-span" is already registered/);
  });
});
