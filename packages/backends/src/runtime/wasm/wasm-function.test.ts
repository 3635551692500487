import { expect, it } from 'vitest';
import { wasmFunction } from './wasm-function.js';

it('passes named arguments in the declared order, whatever the object order', () => {
  const fn = wasmFunction('f', ['a', 'b', 'c'] as const);
  expect(fn.positional({ c: 3, a: 1, b: 2 })).toEqual([1, 2, 3]);
});

it('refuses a missing argument at run time and duplicate names at declaration', () => {
  const fn = wasmFunction('f', ['a', 'b'] as const);
  expect(() => fn.positional({ a: 1 } as never)).toThrow(/`b`/);
  expect(() => wasmFunction('g', ['a', 'a'] as const)).toThrow(/duplicate/);
});
