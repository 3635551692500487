import {
  createFuzzReport,
  describeBackends,
  disposedTensor,
  expectAllFinite,
  expectCloseWithNaNs,
  expectContract,
  fuzzParameters,
  fuzzValues,
  invalidOptionArbitrary,
  validOptionsArbitrary,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import type { EncodingContext, EncodingDefinition } from './encoding-definition.js';
import { encodingDefinitions } from './encoding-registry.js';
import type { PositionalEncoding } from './types.js';

/**
 * Fuzz properties of encodings (issue 21): every registered encoding, created from options generated from
 * its own schema and a random model context, either matches its closed form (sinusoidal: sin/cos of
 * p / base^(2i/d); ALiBi: −m_h·|i − j| with the authors' slopes; RoPE: pairwise rotation by p·θ_i) and keeps
 * its shape, finiteness and tensor count, or rejects the options with a typed error naming them.
 * Knobs: FUZZ_RUNS, FUZZ_SEED (test-utils' fuzz.ts).
 */
const report = createFuzzReport('encodings');

/** ALiBi's slopes from the authors' `get_slopes`: 2^(−8i/n), or for n not a power of two, those of the
 * nearest smaller power m followed by every other slope of 2m. */
function alibiSlopes64(n: number): number[] {
  const pow2 = (k: number) => Array.from({ length: k }, (_, i) => 2 ** ((-8 * (i + 1)) / k));
  const m = 2 ** Math.floor(Math.log2(n));
  if (m === n) return pow2(n);
  return [
    ...pow2(m),
    ...pow2(2 * m)
      .filter((_, i) => i % 2 === 0)
      .slice(0, n - m),
  ];
}

/** RoPE in float64 (Su et al. 2021, eq. 34) with pairs (i, i + r/2) or (2i, 2i + 1) of the first r dims. */
function rope64(
  x: Float32Array,
  rows: number,
  seq: number,
  headDim: number,
  rotaryDim: number,
  layout: string,
  base: number,
  offset: number,
): Float64Array {
  const out = Float64Array.from(x);
  for (let r = 0; r < rows; r++) {
    const p = offset + (r % seq);
    for (let i = 0; i < rotaryDim / 2; i++) {
      const [a, b] = layout === 'half-split' ? [i, i + rotaryDim / 2] : [2 * i, 2 * i + 1];
      const theta = p * base ** (-(2 * i) / rotaryDim);
      const [xa, xb] = [x[r * headDim + a]!, x[r * headDim + b]!];
      out[r * headDim + a] = xa * Math.cos(theta) - xb * Math.sin(theta);
      out[r * headDim + b] = xa * Math.sin(theta) + xb * Math.cos(theta);
    }
  }
  return out;
}

const contextArbitrary: fc.Arbitrary<EncodingContext> = fc
  .record({
    heads: fc.integer({ min: 1, max: 12 }),
    headDim: fc.constantFrom(16, 64, 80, 2, 6, 3),
    maxLength: fc.integer({ min: 1, max: 64 }),
    seed: fc.nat(1000),
  })
  .map((c) => ({ ...c, modelDim: Math.min(c.heads * c.headDim, 256) }));

const callArbitrary = fc.record({
  length: fc.integer({ min: 1, max: 64 }),
  kvLength: fc.integer({ min: 1, max: 64 }),
  offset: fc.integer({ min: 0, max: 100 }),
  seed: fc.nat(100_000),
});

/** Checks one encoding against its closed form (or its invariants), disposing what it makes. */
function checkEncoding(
  definition: EncodingDefinition,
  options: Record<string, unknown>,
  encoding: PositionalEncoding,
  context: EncodingContext,
  call: { length: number; kvLength: number; offset: number; seed: number },
): void {
  const { length, kvLength, offset } = call;
  switch (encoding.kind) {
    case 'additive': {
      const table = encoding.encode(length, { offset });
      expect(table.shape).toEqual([length, encoding.dim]);
      const got = table.dataSync();
      table.dispose();
      expectAllFinite(got, definition.name);
      if (definition.name === 'sinusoidal') {
        const base = (options.base as number | undefined) ?? 10000;
        const d = encoding.dim;
        const want = Float64Array.from({ length: length * d }, (_, e) => {
          const p = offset + Math.floor(e / d);
          const j = e % d;
          const angle = p * base ** (-(2 * Math.floor(j / 2)) / d);
          return j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
        });
        // float32 angles p·ω up to ~160 rad: 2e-5 absolute.
        expectCloseWithNaNs(got, want, { atol: 3e-5, rtol: 0 }, 'sinusoidal');
      }
      return;
    }
    case 'rotary': {
      const shape = [1, 2, length, encoding.headDim];
      const values = fuzzValues(
        'x',
        shape.reduce((a, b) => a * b, 1),
        call.seed,
      );
      const x = tf.tensor(values, shape);
      try {
        const y = encoding.rotate(x, { positions: offset, role: 'query' });
        expect(y.shape).toEqual(shape);
        const got = y.dataSync();
        y.dispose();
        expectAllFinite(got, definition.name);
        if (definition.name === 'rope' && encoding.attentionFactor === 1) {
          const want = rope64(
            values,
            2 * length,
            length,
            encoding.headDim,
            encoding.rotaryDim,
            encoding.layout,
            (options.base as number | undefined) ?? 10000,
            offset,
          );
          // float32 cos/sin tables of angles up to ~164 rad: 1e-5 relative to |x| ≤ ~5.
          expectCloseWithNaNs(got, want, { atol: 1e-4, rtol: 1e-4 }, 'rope');
        }
      } finally {
        x.dispose();
      }
      return;
    }
    case 'bias': {
      const bias = encoding.bias(length, kvLength, { queryOffset: offset });
      expect(bias.shape).toEqual([context.heads, length, kvLength]);
      const got = bias.dataSync();
      bias.dispose();
      expectAllFinite(got, definition.name);
      if (definition.name === 'alibi') {
        const slopes = alibiSlopes64(context.heads);
        const want = Float64Array.from({ length: got.length }, (_, e) => {
          const j = e % kvLength;
          const i = Math.floor(e / kvLength) % length;
          const h = Math.floor(e / (kvLength * length));
          return -slopes[h]! * Math.abs(i + offset - j);
        });
        expectCloseWithNaNs(got, want, { atol: 1e-5, rtol: 1e-6 }, 'alibi');
      }
      return;
    }
    case 'none':
      return;
  }
}

describeBackends('encodings fuzz', () => {
  it('fuzz: every registered encoding, options from its schema → its closed form (sinusoidal, ALiBi, RoPE) or invariants', () => {
    const property = 'encoding closed forms';
    const encodingCase = fc.constantFrom(...encodingDefinitions).chain((definition) =>
      fc.record({
        definition: fc.constant(definition),
        options: validOptionsArbitrary(definition.options, { span: 64 }),
        context: contextArbitrary,
        call: callArbitrary,
      }),
    );
    fc.assert(
      fc.property(encodingCase, ({ definition, options, context, call }) => {
        expectContract(
          () => {
            const encoding = definition.create(options, context);
            try {
              checkEncoding(definition, options, encoding, context, call);
            } finally {
              encoding.dispose();
            }
          },
          { property, report },
        );
      }),
      fuzzParameters(property, 60),
    );
  });

  it('fuzz: one invalid option (from the schema) or a context option throws a typed error naming it', () => {
    const property = 'invalid encoding options';
    const invalidCase = fc.constantFrom(...encodingDefinitions).chain((definition) =>
      fc.record({
        definition: fc.constant(definition),
        bad: fc.oneof(
          invalidOptionArbitrary(definition.options),
          // Options the model context decides must be refused, not silently overridden.
          definition.contextOptions.length > 0
            ? fc
                .constantFrom(...definition.contextOptions)
                .map((key) => ({ key, value: 4, options: { [key]: 4 } }))
            : invalidOptionArbitrary(definition.options),
        ),
        context: contextArbitrary,
      }),
    );
    fc.assert(
      fc.property(invalidCase, ({ definition, bad, context }) => {
        expectContract(() => definition.create(bad.options, context).dispose(), {
          property,
          report,
          mustThrow: new RegExp(`\\b${bad.key}\\b`),
        });
      }),
      fuzzParameters(property, 60),
    );
  });

  it('fuzz: invalid call arguments (lengths, offsets, positions) throw a typed error naming the parameter', () => {
    const property = 'invalid call arguments';
    const badValue = fc.constantFrom(-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3');
    const callCase = fc.record({
      definition: fc.constantFrom(...encodingDefinitions.filter((d) => d.capabilities.kind !== 'none')),
      value: badValue,
      where: fc.constantFrom('length', 'offset'),
    });
    const context = { modelDim: 16, heads: 2, headDim: 8, maxLength: 32, seed: 0 };
    fc.assert(
      fc.property(callCase, ({ definition, value, where }) => {
        const encoding = definition.create({}, context);
        const x = tf.ones([1, 2, 4, 8]);
        try {
          expectContract(
            () => {
              const bad = value as number;
              switch (encoding.kind) {
                case 'additive':
                  return where === 'length' ? encoding.encode(bad) : encoding.encode(4, { offset: bad });
                case 'rotary':
                  return where === 'length'
                    ? encoding.rotate(x, { positions: [0, 1, 2, bad] })
                    : encoding.rotate(x, { positions: bad });
                case 'bias':
                  return where === 'length'
                    ? encoding.bias(bad, 4)
                    : encoding.bias(4, 4, { queryOffset: bad });
                default:
                  return undefined;
              }
            },
            // −1 is a meaningful position or query offset for some encodings (relative ones): it need only
            // hold or throw clearly. The other values are never valid.
            { property, report, ...(value === -1 ? {} : { mustThrow: true }) },
          );
        } finally {
          x.dispose();
          encoding.dispose();
        }
      }),
      fuzzParameters(property, 40),
    );
  });

  it('fuzz: a disposed input to rotate / apply throws a typed error naming it (issue 21: disposed inputs)', () => {
    const property = 'disposed inputs';
    const context = { modelDim: 16, heads: 2, headDim: 8, maxLength: 32, seed: 0 };
    fc.assert(
      fc.property(fc.constantFrom('rope', 'sinusoidal', 'learned'), (name) => {
        const definition = encodingDefinitions.find((d) => d.name === name)!;
        const encoding = definition.create({}, context);
        try {
          expectContract(
            () =>
              encoding.kind === 'rotary'
                ? encoding.rotate(disposedTensor([1, 2, 4, 8]))
                : encoding.kind === 'additive'
                  ? encoding.apply(disposedTensor([1, 4, 16]))
                  : undefined,
            { property, report, mustThrow: /`x`/ },
          );
        } finally {
          encoding.dispose();
        }
      }),
      fuzzParameters(property, 3),
    );
  });
});
