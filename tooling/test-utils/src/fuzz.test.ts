import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backends.js';
import {
  createFuzzReport,
  expectCloseWithNaNs,
  expectContract,
  expectContractAsync,
  fuzzRuns,
  fuzzSeed,
  isClearError,
} from './fuzz.js';
import { attentionShapeArbitrary, disposedTensor, fuzzAttentionInputs } from './fuzz-arbitraries.js';
import {
  invalidOptionArbitrary,
  type OptionSchemaLike,
  validOptionsArbitrary,
} from './option-schema-arbitrary.js';

/** Errors shaped like core's (test-utils sits below core, so it recognises them by name). */
class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  constructor(readonly parameter: string) {
    super(`f: \`${parameter}\` must be a number, received "x".`);
  }
}
class IncompatibleOptionsError extends Error {
  override readonly name = 'IncompatibleOptionsError';
}

const schema: OptionSchemaLike = {
  radius: { type: 'number', integer: true, min: 0 },
  temperature: { type: 'number', positive: true, default: 1 },
  causal: { type: 'boolean', default: false },
  layout: { type: 'enum', values: ['a', 'b'], default: 'a' },
  indices: { type: 'integer-list', min: 0 },
};

/** A local validator with core's rules, to check the arbitraries against. */
function valid(key: string, value: unknown): boolean {
  const spec = schema[key];
  if (spec === undefined) return false;
  switch (spec.type) {
    case 'number':
      return (
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (!spec.integer || Number.isInteger(value)) &&
        (!spec.positive || value > 0) &&
        (spec.min === undefined || value >= spec.min)
      );
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return typeof value === 'string' && spec.values!.includes(value);
    case 'integer-list':
      return Array.isArray(value) && value.every((x) => Number.isInteger(x) && x >= (spec.min ?? 0));
    default:
      return typeof value === 'string';
  }
}

describe('fuzz harness', () => {
  beforeAll(() => useBackend('cpu'));
  const saved = { runs: process.env.FUZZ_RUNS, seed: process.env.FUZZ_SEED };
  afterEach(() => {
    for (const [name, value] of [
      ['FUZZ_RUNS', saved.runs],
      ['FUZZ_SEED', saved.seed],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('fuzzRuns and fuzzSeed read FUZZ_RUNS / FUZZ_SEED, with fixed defaults', () => {
    delete process.env.FUZZ_RUNS;
    delete process.env.FUZZ_SEED;
    expect(fuzzRuns(7)).toBe(7);
    expect(fuzzSeed('a')).toBe(fuzzSeed('a'));
    expect(fuzzSeed('a')).not.toBe(fuzzSeed('b'));
    process.env.FUZZ_RUNS = '500';
    expect(fuzzRuns(7)).toBe(500);
    expect(fuzzRuns(7, { weight: 0.1 })).toBe(50);
    process.env.FUZZ_SEED = '5';
    expect(fuzzSeed()).not.toBe(fuzzSeed('x'));
    process.env.FUZZ_RUNS = 'many';
    expect(() => fuzzRuns(7)).toThrow(/FUZZ_RUNS/);
  });

  it('isClearError accepts typed errors naming a parameter and nothing else', () => {
    expect(isClearError(new InvalidArgumentError('options.scale'))).toBe(true);
    expect(isClearError(new IncompatibleOptionsError('f: `causal` cannot be combined with a mask.'))).toBe(
      true,
    );
    expect(isClearError(new IncompatibleOptionsError('f: no.'))).toBe(false);
    expect(isClearError(new TypeError("Cannot read properties of undefined (reading 'backend')"))).toBe(
      false,
    );
    expect(isClearError(new Error('options.scale'))).toBe(false);
  });

  const report = createFuzzReport('harness self-test');

  it('expectContract: held, clear error, and fails on other errors, leaks, missing errors and hangs', async () => {
    expect(expectContract(() => tf.tidy(() => tf.ones([2])), { property: 'p', report })).toBe('held');
    expect(
      expectContract(
        () => {
          throw new InvalidArgumentError('options.blockSize');
        },
        { property: 'p', report, mustThrow: /blockSize/ },
      ),
    ).toBe('clear-error');
    expect(report.tallies().get('p')).toEqual({ tried: 2, held: 1, clearError: 1 });
    expect(report.summary()).toMatch(/fuzz harness self-test: 2 tried, 1 held, 1 clear-error/);
    expect(() =>
      expectContract(
        () => {
          throw new TypeError('x is undefined');
        },
        { property: 'p' },
      ),
    ).toThrow(/got TypeError: x is undefined/);
    const leaked: tf.Tensor[] = [];
    expect(() => expectContract(() => void leaked.push(tf.ones([1])), { property: 'p' })).toThrow(/1 tensor/);
    tf.dispose(leaked);
    expect(() => expectContract(() => undefined, { property: 'p', mustThrow: true })).toThrow(
      /returned normally/,
    );
    expect(() =>
      expectContract(
        () => {
          const end = performance.now() + 30;
          while (performance.now() < end);
        },
        { property: 'p', timeBoxMs: 5 },
      ),
    ).toThrow(/time box/);
    await expect(
      expectContractAsync(() => new Promise((resolve) => setTimeout(resolve, 200)), {
        property: 'p',
        timeBoxMs: 20,
      }),
    ).rejects.toThrow(/time box/);
    await expect(
      expectContractAsync(async () => Promise.reject(new InvalidArgumentError('options.prefer')), {
        property: 'p',
      }),
    ).resolves.toBe('clear-error');
  });

  it('expectCloseWithNaNs: NaN exactly where the reference has it, never a silent zero', () => {
    expectCloseWithNaNs([1, Number.NaN, Number.POSITIVE_INFINITY], [1, Number.NaN, Number.POSITIVE_INFINITY]);
    expect(() => expectCloseWithNaNs([1, 0], [1, Number.NaN])).toThrow(/reference has NaN/);
    expect(() => expectCloseWithNaNs([Number.NaN], [1])).toThrow(/reference has 1/);
  });

  it('shape and input arbitraries build consistent tensors; disposed tensors are disposed', () => {
    fc.assert(
      fc.property(attentionShapeArbitrary({ maxLen: 9 }), fc.nat(1000), (s, seed) => {
        const x = fuzzAttentionInputs(s, seed, [{ input: 'k', index: 3, value: Number.NaN }]);
        expect(s.heads % s.kvHeads).toBe(0);
        expect(x.q.shape).toEqual([s.batch, s.heads, s.qLen, s.headDim]);
        expect(x.v.shape).toEqual([s.batch, s.kvHeads, s.kvLen, s.valueDim]);
        expect(Array.from(x.reference.k).some(Number.isNaN)).toBe(true);
        x.dispose();
      }),
      { numRuns: 20, seed: 1 },
    );
    expect(disposedTensor([2]).isDisposed).toBe(true);
  });

  it('option arbitraries: valid objects pass a validator with core rules; invalid ones break exactly their key', () => {
    fc.assert(
      fc.property(validOptionsArbitrary(schema), (o) => {
        for (const [k, v] of Object.entries(o)) expect(valid(k, v), `${k} = ${String(v)}`).toBe(true);
      }),
      { numRuns: 200, seed: 2 },
    );
    fc.assert(
      fc.property(invalidOptionArbitrary(schema), ({ key, options }) => {
        expect(valid(key, options[key]), `${key} = ${String(options[key])}`).toBe(false);
        for (const [k, v] of Object.entries(options)) if (k !== key) expect(valid(k, v)).toBe(true);
      }),
      { numRuns: 200, seed: 3 },
    );
  });
});
