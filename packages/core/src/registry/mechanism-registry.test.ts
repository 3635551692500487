import { describe, expect, it } from 'vitest';
import { registerCoreMechanisms } from './core-mechanisms.js';
import { createMechanismRegistry } from './mechanism-registry.js';

describe('MechanismRegistry', () => {
  it('registers explicitly, lists sorted names, and refuses duplicates', () => {
    const registry = createMechanismRegistry();
    expect(registry.names()).toEqual([]);
    registerCoreMechanisms(registry);
    expect(registry.names()).toEqual(['dense', 'memory-efficient']);
    expect(registry.get('dense').capabilities.timeComplexity).toBe('O(N²·d)');
    expect(() => registerCoreMechanisms(registry)).toThrow(/"dense" is already registered/);
    expect(() => registry.get('flash')).toThrow(
      /No attention mechanism "flash".*known: dense, memory-efficient/,
    );
  });

  it('freezes definitions and capabilities', () => {
    const registry = createMechanismRegistry();
    registerCoreMechanisms(registry);
    const def = registry.get('memory-efficient');
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.capabilities)).toBe(true);
    expect(() => {
      (def.capabilities as { supportsMask: boolean }).supportsMask = false;
    }).toThrow();
  });
});
