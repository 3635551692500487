import { builtinEncodings, builtinMechanisms, builtinPatterns } from '@efficient-attention/all';
import type { MechanismDefinition } from '@efficient-attention/core';
import {
  createFuzzReport,
  describeBackends,
  disposedTensor,
  expectAllFinite,
  expectCloseWithNaNs,
  expectContract,
  expectContractAsync,
  fuzzParameters,
  invalidOptionArbitrary,
  validOptionsArbitrary,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { createDecoder } from './decoder.js';
import { loadModel } from './load-model.js';
import type { ModelConfig } from './model-config.js';
import { tinyLm } from './test-support/tiny-configs.js';
import { createModel, type TransformerModel } from './transformer-model.js';

/**
 * Fuzz properties of transformer (issue 21), over random valid configs drawn from the catalogue of
 * `@efficient-attention/all` (every built-in mechanism and encoding, options generated from their schemas,
 * block-sparse patterns with theirs): `apply` keeps its shapes and is finite, cached decoding equals the full
 * forward pass at every position, save/load (in memory) is the identity, and invalid configs throw a typed
 * error naming the field. Knobs: FUZZ_RUNS, FUZZ_SEED (test-utils' fuzz.ts); whole models per case, so the
 * runs are weighted down.
 */
const report = createFuzzReport('transformer');

/** Options of a mechanism's config from its schema; a `pattern` option names a registered pattern whose
 * parameters join the config (block-sparse's convention). */
function mechanismConfigArbitrary(definition: MechanismDefinition): fc.Arbitrary<Record<string, unknown>> {
  const options = definition.options;
  // Interior numbers: a mechanism that rejects a schema bound (entmax-alpha's open α interval) would only be
  // skipped by the pre-flight below; the bounds themselves are fuzzed by the packages' schema properties.
  if (options.pattern?.type !== 'string') return validOptionsArbitrary(options, { span: 6 });
  return fc
    .constantFrom(...builtinPatterns)
    .chain((pattern) =>
      fc
        .tuple(
          validOptionsArbitrary(options, { span: 6, omit: ['pattern'] }),
          validOptionsArbitrary(pattern.options, { span: 6, maxListLength: 4 }),
        )
        .map(([own, params]) => ({ ...own, ...params, pattern: pattern.name })),
    );
}

/** The small LM of the targeted properties: tinyLm with vocab 6, 8 positions, dModel 8, one layer. */
const smallLm = (overrides: Partial<ModelConfig> = {}): ModelConfig =>
  tinyLm({ vocabSize: 6, maxSeqLen: 8, dModel: 8, numLayers: 1, ...overrides });

const configArbitrary: fc.Arbitrary<ModelConfig> = fc
  .record({
    mechanism: fc
      .constantFrom(...builtinMechanisms)
      .chain((d) => fc.record({ mechanism: fc.constant(d.name), config: mechanismConfigArbitrary(d) })),
    positional: fc
      .constantFrom(...builtinEncodings)
      .chain((d) =>
        fc.record({ encoding: fc.constant(d.name), config: validOptionsArbitrary(d.options, { span: 6 }) }),
      ),
    classifier: fc.boolean(),
    numHeads: fc.integer({ min: 1, max: 2 }),
    headDim: fc.constantFrom(2, 4, 8),
    numLayers: fc.integer({ min: 1, max: 2 }),
    vocabSize: fc.integer({ min: 2, max: 10 }),
    maxSeqLen: fc.integer({ min: 1, max: 10 }),
    projections: fc.constantFrom('float' as const, 'bitnet' as const),
    ffnMultiplier: fc.constantFrom(1, 2),
    seed: fc.nat(10_000),
  })
  .map((c) => ({
    task: c.classifier ? ('classifier' as const) : ('causal-lm' as const),
    ...(c.classifier ? { numClasses: 3 } : {}),
    vocabSize: c.vocabSize,
    maxSeqLen: c.maxSeqLen,
    dModel: c.numHeads * c.headDim,
    numHeads: c.numHeads,
    numLayers: c.numLayers,
    ffnMultiplier: c.ffnMultiplier,
    attention: c.mechanism,
    positional: c.positional,
    projections: c.projections,
    seed: c.seed,
  }));

/** Token ids `[batch, length]` in range, from a seed. */
function tokenIds(batch: number, length: number, vocab: number, seed: number): number[][] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % vocab;
  };
  return Array.from({ length: batch }, () => Array.from({ length }, next));
}

const modelCase = fc.record({
  config: configArbitrary,
  batch: fc.integer({ min: 1, max: 2 }),
  lengthFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  seed: fc.nat(10_000),
});

function lengthOf(config: ModelConfig, fraction: number): number {
  return Math.max(1, Math.ceil(fraction * config.maxSeqLen));
}

/** Creates the model under the contract (an incompatible config is a clear error) and runs `check` on it. */
function withModel(config: ModelConfig, check: (model: TransformerModel) => void): void {
  const model = createModel(config);
  try {
    check(model);
  } finally {
    model.dispose();
  }
}

describeBackends('transformer fuzz', () => {
  it('fuzz: createModel over random catalogue configs → apply keeps its shape and is finite', () => {
    const property = 'createModel → apply';
    fc.assert(
      fc.property(modelCase, ({ config, batch, lengthFraction, seed }) => {
        expectContract(
          () =>
            withModel(config, (model) => {
              const n = lengthOf(config, lengthFraction);
              const tokens = tf.tensor2d(tokenIds(batch, n, config.vocabSize, seed), [batch, n], 'int32');
              try {
                const out = model.apply(tokens);
                expect(out.shape).toEqual(
                  config.task === 'classifier' ? [batch, config.numClasses] : [batch, n, config.vocabSize],
                );
                expectAllFinite(
                  out.dataSync(),
                  `${config.attention.mechanism} + ${config.positional.encoding}`,
                );
                out.dispose();
              } finally {
                tokens.dispose();
              }
            }),
          { property, report, timeBoxMs: 30_000 },
        );
      }),
      fuzzParameters(property, 25, { weight: 0.5 }),
    );
  });

  it('fuzz: cached decoding equals the full forward pass at every position (causal LMs from the catalogue)', () => {
    const property = 'decoder step = full forward';
    const lmCase = modelCase.filter(({ config }) => config.task === 'causal-lm');
    fc.assert(
      fc.property(lmCase, ({ config, batch, lengthFraction, seed }) => {
        expectContract(
          () =>
            withModel(config, (model) => {
              const n = lengthOf(config, lengthFraction);
              const rows = tokenIds(batch, n, config.vocabSize, seed);
              // The decoder first: it may reject the config (a pattern's band), and then nothing else exists yet.
              const decoder = createDecoder(model);
              const tokens = tf.tensor2d(rows, [batch, n], 'int32');
              const made: tf.Tensor[] = [];
              try {
                // Recompute decodes each prefix anew (LSH buckets depend on the whole sequence): its step t
                // equals the last row of apply(prefix t).
                const full =
                  decoder.strategy === 'recompute'
                    ? tf.tidy(() =>
                        tf.stack(
                          rows[0]!.map((_, t) =>
                            tf.squeeze(
                              tf.slice(
                                model.apply(tf.slice(tokens, [0, 0], [-1, t + 1]) as tf.Tensor2D),
                                [0, t, 0],
                                [-1, 1, -1],
                              ),
                              [1],
                            ),
                          ),
                          1,
                        ),
                      )
                    : model.apply(tokens);
                made.push(full);
                const steps: tf.Tensor[] = [];
                for (let t = 0; t < n; t++) {
                  steps.push(decoder.step(rows.map((r) => r[t]!)));
                  made.push(steps[t]!);
                }
                const decoded = tf.stack(steps, 1);
                made.push(decoded);
                // BitNet quantises each token's activations: a float32 rounding difference between the two
                // paths may flip one int8 level, so its tolerance is a level's worth.
                const tol =
                  config.projections === 'bitnet' ? { atol: 5e-2, rtol: 5e-2 } : { atol: 2e-4, rtol: 2e-4 };
                expectCloseWithNaNs(
                  decoded.dataSync(),
                  full.dataSync(),
                  tol,
                  `${config.attention.mechanism} (${decoder.strategy})`,
                );
              } finally {
                tf.dispose(made);
                decoder.dispose();
                tokens.dispose();
              }
            }),
          { property, report, timeBoxMs: 60_000 },
        );
      }),
      fuzzParameters(property, 20, { weight: 0.3 }),
    );
  });

  it('fuzz: save then loadModel (in memory) is the identity: same config, same outputs', async () => {
    const property = 'save/load identity';
    await fc.assert(
      fc.asyncProperty(modelCase, async ({ config, batch, lengthFraction, seed }) => {
        await expectContractAsync(
          async () => {
            const model = createModel(config);
            let loaded: TransformerModel | undefined;
            const n = lengthOf(config, lengthFraction);
            const tokens = tf.tensor2d(tokenIds(batch, n, config.vocabSize, seed), [batch, n], 'int32');
            try {
              let saved: tf.io.ModelArtifacts | undefined;
              await model.save(
                tf.io.withSaveHandler(async (artifacts) => {
                  saved = artifacts;
                  return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
                }),
              );
              loaded = await loadModel(tf.io.fromMemory(saved!));
              expect(loaded.config).toEqual(model.config);
              const a = model.apply(tokens);
              const b = loaded.apply(tokens);
              expectCloseWithNaNs(b.dataSync(), a.dataSync(), { atol: 0, rtol: 0 }, property);
              tf.dispose([a, b]);
            } finally {
              tokens.dispose();
              loaded?.dispose();
              model.dispose();
            }
          },
          { property, report, timeBoxMs: 30_000 },
        );
      }),
      fuzzParameters(property, 10, { weight: 0.3 }),
    );
  });

  it('fuzz: invalid configs (a field, a mechanism or encoding option from its schema) throw a typed error naming it', () => {
    const property = 'invalid configs';
    const base = smallLm();
    const fieldCase = fc
      .oneof(
        fc.record({ key: fc.constant('vocabSize'), value: fc.constantFrom(1, 0, 2.5, Number.NaN, '6') }),
        fc.record({ key: fc.constant('maxSeqLen'), value: fc.constantFrom(0, -1, 1.5, null) }),
        fc.record({ key: fc.constant('dModel'), value: fc.constantFrom(7, 0, 3) }),
        // (numHeads 3 with dModel 8 is named as config.dModel, the multiple that is off.)
        fc.record({ key: fc.constant('numHeads'), value: fc.constantFrom(0, -1, 1.5) }),
        fc.record({ key: fc.constant('numLayers'), value: fc.constantFrom(0, -2, 'two') }),
        fc.record({ key: fc.constant('task'), value: fc.constantFrom('lm', 'regression', 3) }),
        fc.record({ key: fc.constant('projections'), value: fc.constantFrom('int8', 'ternary', true) }),
        fc.record({ key: fc.constantFrom('layers', 'heads', 'vocab'), value: fc.constant(2) }),
      )
      .map(({ key, value }) => ({
        key: `config.${key}`,
        config: { ...base, [key]: value } as unknown as ModelConfig,
      }));
    const mechanismCase = fc
      .constantFrom(...builtinMechanisms.filter((d) => Object.keys(d.options).length > 0))
      .chain((d) =>
        invalidOptionArbitrary(d.options, { omit: ['pattern'] }).map((bad) => ({
          key: bad.key,
          config: { ...base, attention: { mechanism: d.name, config: bad.options } },
        })),
      );
    const encodingCase = fc
      .constantFrom(...builtinEncodings.filter((d) => Object.keys(d.options).length > 0))
      .chain((d) =>
        invalidOptionArbitrary(d.options).map((bad) => ({
          key: bad.key,
          config: { ...base, positional: { encoding: d.name, config: bad.options } },
        })),
      );
    const namesCase = fc
      .record({
        key: fc.constantFrom('config.attention.mechanism', 'config.positional.encoding'),
        name: fc.constantFrom('flash', 'Dense', ''),
      })
      .map(({ key, name }) => ({
        key,
        config:
          key === 'config.attention.mechanism'
            ? { ...base, attention: { mechanism: name } }
            : { ...base, positional: { encoding: name } },
      }));
    fc.assert(
      fc.property(fc.oneof(fieldCase, mechanismCase, encodingCase, namesCase), ({ key, config }) => {
        const escaped = key.replace(/[.[\]]/g, (m) => `\\${m}`);
        expectContract(() => createModel(config).dispose(), {
          property,
          report,
          mustThrow: new RegExp(escaped),
        });
      }),
      fuzzParameters(property, 60),
    );
  });

  it('fuzz: out-of-range token ids throw a typed error naming tokens (issue 21: token ids)', () => {
    const property = 'token ids out of range';
    fc.assert(
      fc.property(fc.constantFrom(-1, 6, 7, 100), fc.constantFrom('apply', 'step'), (id, where) => {
        withModel(smallLm(), (model) => {
          const tokens = tf.tensor2d([[1, id, 2]], [1, 3], 'int32');
          const decoder = createDecoder(model);
          try {
            expectContract(() => (where === 'apply' ? model.apply(tokens) : decoder.step([id])), {
              property,
              report,
              mustThrow: /tokens/,
            });
          } finally {
            decoder.dispose();
            tokens.dispose();
          }
        });
      }),
      fuzzParameters(property, 8),
    );
  });

  it('fuzz: decoding past maxSeqLen throws a typed error naming maxSeqLen (issue 21: decoder past maxSeqLen)', () => {
    const property = 'decoder past maxSeqLen';
    fc.assert(
      fc.property(
        fc.constantFrom('rope', 'sinusoidal', 'alibi', 'learned'),
        fc.integer({ min: 1, max: 6 }),
        (encoding, maxSeqLen) => {
          withModel(smallLm({ maxSeqLen, positional: { encoding } }), (model) => {
            const decoder = createDecoder(model);
            try {
              for (let t = 0; t < maxSeqLen; t++) decoder.step([t % 6]).dispose();
              expectContract(() => decoder.step([1]), { property, report, mustThrow: /maxSeqLen/ });
            } finally {
              decoder.dispose();
            }
          });
        },
      ),
      fuzzParameters(property, 8),
    );
  });

  it('fuzz: disposed tokens throw a typed error naming tokens (issue 21: disposed inputs)', () => {
    const property = 'disposed tokens';
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3), (n) => {
        withModel(smallLm(), (model) => {
          expectContract(() => model.apply(disposedTensor([1, n], 'int32') as tf.Tensor2D), {
            property,
            report,
            mustThrow: /tokens/,
          });
        });
      }),
      fuzzParameters(property, 3),
    );
  });

  it('fuzz: every catalogue mechanism × encoding with default options applies (finite) or throws clearly', () => {
    // Exhaustive rather than random: the pairs are few, and a pair that cannot build with its defaults
    // shows up in this property's clear-error count.
    const property = 'defaults build';
    for (const mechanism of builtinMechanisms) {
      for (const encoding of builtinEncodings) {
        expectContract(
          () =>
            withModel(
              {
                task: 'causal-lm',
                vocabSize: 5,
                maxSeqLen: 6,
                dModel: 8,
                numHeads: 2,
                numLayers: 1,
                attention: { mechanism: mechanism.name },
                positional: { encoding: encoding.name },
                seed: 3,
              },
              (model) => {
                const tokens = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
                const out = model.apply(tokens);
                expectAllFinite(out.dataSync(), `${mechanism.name} + ${encoding.name}`);
                tf.dispose([out, tokens]);
              },
            ),
          { property, report },
        );
      }
    }
  });
});
