import { describe, expect, it } from 'vitest';
import { RegistryError } from '../errors.js';
import { createRegistry } from './create-registry.js';

interface Colour {
  readonly name: 'red' | 'blue';
  readonly hex: string;
}

describe('createRegistry', () => {
  it('registers explicitly, sorts names and definitions, and freezes what it holds', () => {
    const colours = createRegistry<Colour['name'], Colour>({ kind: 'colour' });
    expect(colours.names()).toEqual([]);
    colours.register({ name: 'red', hex: '#f00' });
    colours.register({ name: 'blue', hex: '#00f' });
    expect(colours.names()).toEqual(['blue', 'red']);
    expect(colours.list().map((c) => c.hex)).toEqual(['#00f', '#f00']);
    expect(colours.has('red')).toBe(true);
    expect(colours.has('green')).toBe(false);
    expect(Object.isFrozen(colours.get('red'))).toBe(true);
    expect(Object.isFrozen(colours)).toBe(true);
  });

  it('refuses a name twice and names the known ones for an unknown name, with the hint', () => {
    const colours = createRegistry<string, { name: string }>({
      kind: 'colour',
      hint: 'Call registerColours().',
      definitions: [{ name: 'red' }],
    });
    expect(() => colours.register({ name: 'red' })).toThrow(RegistryError);
    expect(() => colours.register({ name: 'red' })).toThrow(/The colour "red" is already registered/);
    expect(() => colours.get('green')).toThrow(
      /No colour "green" is registered; known: red\. Call registerColours\(\)\./,
    );
    expect(() => colours.register(null as unknown as { name: string })).toThrow(/needs a string `name`/);
  });

  it('keeps registries apart', () => {
    const a = createRegistry<string, { name: string }>({ kind: 'thing' });
    const b = createRegistry<string, { name: string }>({ kind: 'thing' });
    a.register({ name: 'x' });
    expect(b.names()).toEqual([]);
  });
});
