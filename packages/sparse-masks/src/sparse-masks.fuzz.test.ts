import {
  attentionShapeArbitrary,
  createFuzzReport,
  describeBackends,
  disposedTensor,
  expectCloseWithNaNs,
  expectContract,
  fuzzAttentionInputs,
  fuzzParameters,
  invalidNumberArbitrary,
  invalidOptionArbitrary,
  poisonArbitrary,
  referenceAttention,
  validOptionsArbitrary,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { blockSparseAttention } from './block-sparse-attention.js';
import { createBlockMask } from './create-block-mask.js';
import { createPatternMask } from './create-pattern-mask.js';
import { maskPatterns } from './mask-pattern-registry.js';
import { slidingWindow } from './patterns/sliding-window.js';

/**
 * Fuzz properties of sparse-masks (issue 21). Every registered pattern, with parameters generated from its
 * own option schema, compiles to a block mask under which `blockSparseAttention` equals the dense masked
 * float64 reference (NaN rule included), or the pattern rejects its parameters with a typed error naming
 * them. Knobs: FUZZ_RUNS, FUZZ_SEED (test-utils' fuzz.ts).
 */
const report = createFuzzReport('sparse-masks');

const definitions = maskPatterns.list();

const blockSizeArbitrary = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(16, 32, 64, 128));

const patternCase = fc.constantFrom(...definitions).chain((definition) =>
  fc.record({
    definition: fc.constant(definition),
    params: validOptionsArbitrary(definition.options, { span: 12, maxListLength: 8 }),
    // Half self-attention: several patterns (BigBird, Star-Transformer, documents) require qLen = kvLen.
    shape: fc.oneof(
      attentionShapeArbitrary({ maxLen: 48 }),
      attentionShapeArbitrary({ maxLen: 48, selfAttention: true }),
    ),
    blockSize: blockSizeArbitrary,
    scale: fc.option(fc.double({ min: 0.05, max: 2, noNaN: true }), { nil: undefined }),
    // NaN and ±∞ in any input (a ±∞ in q or k: rows whose visible scores are all −∞ are NaN, as the
    // reference; block-sparse-attention.regression.test.ts).
    poisons: poisonArbitrary(['q', 'k', 'v'], 1),
    seed: fc.nat(1_000_000),
  }),
);

describeBackends('sparse-masks fuzz', () => {
  it('fuzz: every registered pattern, parameters from its schema → blockSparseAttention = dense masked float64 reference', () => {
    const property = 'pattern → blockSparseAttention';
    fc.assert(
      fc.property(patternCase, (c) => {
        const s = c.shape;
        const x = fuzzAttentionInputs(s, c.seed, c.poisons);
        try {
          expectContract(
            () => {
              const mask = createPatternMask(
                { pattern: c.definition.name, ...c.params },
                { seed: c.seed, qLen: s.qLen, kvLen: s.kvLen, blockSize: c.blockSize },
              );
              const blockMask = createBlockMask(mask, s.qLen, s.kvLen, {
                blockSize: c.blockSize,
                batch: s.batch,
                heads: s.heads,
              });
              const expected = referenceAttention(x.reference, {
                allowed: (b, h, i, j) => mask(b, h, i, j),
                ...(c.scale === undefined ? {} : { scale: c.scale }),
              }).output;
              const out = blockSparseAttention(x.q, x.k, x.v, blockMask, {
                ...(c.scale === undefined ? {} : { scale: c.scale }),
              });
              expect(out.shape).toEqual([s.batch, s.heads, s.qLen, s.valueDim]);
              expectCloseWithNaNs(out.dataSync(), expected, {}, c.definition.name);
              out.dispose();
            },
            { property, report },
          );
        } finally {
          x.dispose();
        }
      }),
      fuzzParameters(property, 40),
    );
  });

  it('fuzz: one invalid pattern parameter (from its schema) throws a typed error naming options.<key>', () => {
    const property = 'invalid pattern parameters';
    const invalidCase = fc
      .constantFrom(...definitions)
      .chain((definition) =>
        fc.record({ definition: fc.constant(definition), bad: invalidOptionArbitrary(definition.options) }),
      );
    fc.assert(
      fc.property(invalidCase, ({ definition, bad }) => {
        expectContract(
          () =>
            createPatternMask(
              { pattern: definition.name, ...bad.options },
              { seed: 1, qLen: 8, kvLen: 8, blockSize: 4 },
            ),
          { property, report, mustThrow: new RegExp(`options\\.${bad.key}\\b`) },
        );
      }),
      fuzzParameters(property, 60),
    );
  });

  it('fuzz: invalid lengths, block sizes, scales and mismatched masks throw a typed error naming the parameter', () => {
    const property = 'invalid createBlockMask / blockSparseAttention arguments';
    const badCase = fc.oneof(
      fc.record({
        kind: fc.constant('qLen' as const),
        value: invalidNumberArbitrary({ integer: true, min: 1 }),
      }),
      fc.record({
        kind: fc.constant('kvLen' as const),
        value: invalidNumberArbitrary({ integer: true, min: 1 }),
      }),
      fc.record({
        kind: fc.constant('blockSize' as const),
        value: invalidNumberArbitrary({ integer: true, positive: true }).filter((v) => v !== null),
      }),
      fc.record({
        kind: fc.constant('scale' as const),
        value: invalidNumberArbitrary().filter((v) => v !== null),
      }),
      fc.record({ kind: fc.constant('lengths' as const), value: fc.integer({ min: 1, max: 12 }) }),
      fc.record({
        kind: fc.constant('pattern' as const),
        // Non-strings and unknown names alike (the unknown-name counterexample is fixed).
        value: fc.constantFrom(42, true, 'slidingwindow', 'bigbrd', ''),
      }),
    );
    fc.assert(
      fc.property(badCase, (c) => {
        const q = tf.ones([1, 2, 6, 4]);
        try {
          expectContract(
            () => {
              const mask = slidingWindow({ before: 2 });
              switch (c.kind) {
                case 'qLen':
                  return void createBlockMask(mask, c.value as number, 6);
                case 'kvLen':
                  return void createBlockMask(mask, 6, c.value as number);
                case 'blockSize':
                  return void createBlockMask(mask, 6, 6, { blockSize: c.value as number });
                case 'scale':
                  return blockSparseAttention(q, q, q, createBlockMask(mask, 6, 6, { blockSize: 4 }), {
                    scale: c.value as number,
                  });
                case 'lengths':
                  // A mask built for other lengths: the error says to rebuild it.
                  return blockSparseAttention(q, q, q, createBlockMask(mask, 6, c.value === 6 ? 7 : c.value));
                case 'pattern':
                  return void createPatternMask(
                    { pattern: c.value as unknown as string },
                    { seed: 0, qLen: 6, kvLen: 6, blockSize: 4 },
                  );
              }
            },
            {
              property,
              report,
              mustThrow:
                c.kind === 'lengths'
                  ? /blockMask/
                  : c.kind === 'pattern'
                    ? /`config\.pattern`/
                    : new RegExp(
                        c.kind === 'qLen' || c.kind === 'kvLen' ? `\`${c.kind}\`` : `options\\.${c.kind}`,
                      ),
            },
          );
        } finally {
          q.dispose();
        }
      }),
      fuzzParameters(property, 30),
    );
  });

  it('fuzz: a disposed q, k or v throws a typed error naming it (issue 21: disposed inputs)', () => {
    const property = 'disposed inputs';
    fc.assert(
      fc.property(fc.constantFrom('q', 'k', 'v'), (which) => {
        const t = { q: tf.ones([1, 1, 6, 4]), k: tf.ones([1, 1, 6, 4]), v: tf.ones([1, 1, 6, 4]) };
        const args = { ...t, [which]: disposedTensor([1, 1, 6, 4]) };
        try {
          expectContract(
            () =>
              blockSparseAttention(
                args.q,
                args.k,
                args.v,
                createBlockMask(slidingWindow({ before: 1 }), 6, 6),
              ),
            { property, report, mustThrow: new RegExp(`\`${which}\``) },
          );
        } finally {
          tf.dispose(Object.values(t));
        }
      }),
      fuzzParameters(property, 3),
    );
  });
});
