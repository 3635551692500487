import { describeBackends, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { createDecoder } from './decoder.js';
import type { ModelConfig } from './model-config.js';
import { tinyClassifier, tinyLm } from './test-support/tiny-configs.js';
import { createModel } from './transformer-model.js';

const SEQ = [3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 7, 2];
const BATCH = [SEQ, [...SEQ].reverse()];

const window = (before: number) => ({
  attention: { mechanism: 'block-sparse', config: { pattern: 'sliding-window', before, blockSize: 4 } },
});

/** Cached decoding against the full forward pass: logits at every position, both sequences of the batch. */
const cases: Array<[string, Partial<ModelConfig>, string]> = [
  ['dense + rope', {}, 'kv-cache'],
  ['dense + alibi', { positional: { encoding: 'alibi' } }, 'kv-cache'],
  [
    'dense + t5 + learned-free sinusoidal mask',
    {
      positional: { encoding: 't5' },
      attention: { mechanism: 'dense', mask: { pattern: 'sliding-window', before: 2 } },
    },
    'kv-cache',
  ],
  [
    'memory-efficient + learned',
    {
      attention: { mechanism: 'memory-efficient', config: { queryChunkSize: 4, keyChunkSize: 4 } },
      positional: { encoding: 'learned' },
    },
    'kv-cache',
  ],
  ['sliding window (rolling cache) + rope', window(3), 'rolling-cache'],
  [
    'sliding window (rolling cache) + alibi',
    { ...window(2), positional: { encoding: 'alibi' } },
    'rolling-cache',
  ],
  [
    'block-sparse longformer + sinusoidal',
    {
      attention: {
        mechanism: 'block-sparse',
        config: { pattern: 'longformer', before: 2, globalIndices: [0], blockSize: 4 },
      },
      positional: { encoding: 'sinusoidal' },
    },
    'kv-cache',
  ],
  ['linear-elu (recurrent state) + rope', { attention: { mechanism: 'linear-elu' } }, 'recurrent'],
  [
    'performer (recurrent state) + learned',
    {
      attention: { mechanism: 'performer', config: { numFeatures: 12 } },
      positional: { encoding: 'learned' },
    },
    'recurrent',
  ],
  [
    'adaptive-span (kv cache)',
    {
      attention: {
        mechanism: 'adaptive-span',
        config: { maxSpan: 8, rampSize: 2, initialSpan: 3, blockSize: 4 },
      },
    },
    'kv-cache',
  ],
  [
    'dynamic-span (kv cache)',
    {
      attention: {
        mechanism: 'dynamic-span',
        config: { maxSpan: 8, rampSize: 2, initialSpan: 3, blockSize: 4 },
      },
    },
    'kv-cache',
  ],
  ['hamming + rope (kv cache)', { attention: { mechanism: 'hamming' } }, 'kv-cache'],
  [
    'entmax15 + alibi',
    { attention: { mechanism: 'entmax15' }, positional: { encoding: 'alibi' } },
    'kv-cache',
  ],
  [
    'reformer-lsh (recompute: each prefix)',
    { attention: { mechanism: 'reformer-lsh', config: { numHashes: 2, chunkSize: 4 } } },
    'recompute',
  ],
  ['bitnet projections + dense + rope', { projections: 'bitnet' }, 'kv-cache'],
  ['bitnet projections + sliding window', { ...window(3), projections: 'bitnet' }, 'rolling-cache'],
  [
    'bitnet projections + linear-elu',
    { attention: { mechanism: 'linear-elu' }, projections: 'bitnet' },
    'recurrent',
  ],
];

describeBackends('createDecoder', () => {
  it.each(cases)('%s: every step equals the full forward pass', (_name, overrides, strategy) => {
    const model = createModel(tinyLm(overrides));
    const tokens = tf.tensor2d(BATCH, undefined, 'int32');
    // LSH buckets are chunked over the whole sequence, so a prefix's last row is the reference there.
    const full =
      strategy === 'recompute'
        ? tf.tidy(() =>
            tf.stack(
              SEQ.map((_, t) => {
                const prefix = tf.slice(tokens, [0, 0], [-1, t + 1]) as tf.Tensor2D;
                return tf.squeeze(tf.slice(model.apply(prefix), [0, t, 0], [-1, 1, -1]), [1]);
              }),
              1,
            ),
          )
        : model.apply(tokens);
    const decoder = createDecoder(model);
    expect(decoder.strategy).toBe(strategy);
    const before = tf.memory().numTensors;
    const steps: tf.Tensor2D[] = [];
    for (let t = 0; t < SEQ.length; t++) steps.push(decoder.step(BATCH.map((row) => row[t]!)));
    const decoded = tf.stack(steps, 1);
    // float32 rounding. BitNet quantises activations per token, so its steps see the same int8 rows as the
    // full pass (a rounding difference could in principle flip one level; it does not at these seeds).
    const tolerance = { atol: 1e-4, rtol: 1e-4 };
    expectTensorsClose(decoded, full, tolerance);
    tf.dispose([decoded, ...steps]);
    decoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([tokens, full]);
    model.dispose();
  });

  it('the rolling cache keeps W keys: memory stops growing once the window is full', () => {
    const model = createModel(tinyLm({ ...window(2), positional: { encoding: 'alibi' } }));
    const decoder = createDecoder(model);
    const bytes: number[] = [];
    for (let t = 0; t < 10; t++) {
      decoder.step([t % 8]).dispose();
      bytes.push(tf.memory().numBytes);
    }
    expect(bytes[9]).toBe(bytes[4]);
    const dense = createDecoder(createModel(tinyLm()));
    const denseBytes: number[] = [];
    for (let t = 0; t < 6; t++) {
      dense.step([t % 8]).dispose();
      denseBytes.push(tf.memory().numBytes);
    }
    expect(denseBytes[5]!).toBeGreaterThan(denseBytes[4]!);
    decoder.dispose();
    dense.dispose();
    model.dispose();
  });

  it('generate: greedy tokens match the recompute reference; sampling is seeded', () => {
    const model = createModel(tinyLm(window(3)));
    const cached = createDecoder(model);
    const reference = createDecoder(model, { strategy: 'recompute' });
    const prompt = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const greedy = cached.generate(prompt, { maxNewTokens: 6, temperature: 0 });
    expect(greedy.map((r) => r.length)).toEqual([9, 9]);
    expect(greedy.map((r) => r.slice(0, 3))).toEqual(prompt);
    expect(greedy).toEqual(reference.generate(prompt, { maxNewTokens: 6, temperature: 0 }));
    const a = cached.generate(prompt, { maxNewTokens: 5, seed: 7 });
    const b = cached.generate(prompt, { maxNewTokens: 5, seed: 7 });
    expect(a).toEqual(b);
    for (const t of a.flat()) expect(t >= 0 && t < 8).toBe(true);
    cached.dispose();
    reference.dispose();
    model.dispose();
  });

  it('rejects classifiers, other strategies and wrong token batches', () => {
    const classifier = createModel(tinyClassifier());
    expect(() => createDecoder(classifier)).toThrow(/`model.config.task` must be 'causal-lm'/);
    const model = createModel(tinyLm());
    expect(() => createDecoder(model, { strategy: 'recurrent' })).toThrow(
      /'kv-cache' \(this model's\) or 'recompute'/,
    );
    const decoder = createDecoder(model);
    decoder.step([1, 2]).dispose();
    expect(() => decoder.step([1])).toThrow(/int32 token ids \[2\]/);
    expect(() => decoder.generate([[1], [2, 3]], { maxNewTokens: 1 })).toThrow(/rows of equal length/);
    decoder.dispose();
    classifier.dispose();
    model.dispose();
  });

  it.each([
    ['dense + rope (kv cache)', {}, undefined],
    ['dense + sinusoidal (kv cache)', { positional: { encoding: 'sinusoidal' } }, undefined],
    ['sliding window + rope (rolling cache)', window(3), undefined],
    ['linear-elu + rope (recurrent)', { attention: { mechanism: 'linear-elu' } }, undefined],
    ['dense + rope (recompute)', {}, 'recompute'],
  ] as Array<[string, Partial<ModelConfig>, 'recompute' | undefined]>)(
    '%s: step stops at maxSeqLen like apply, changing nothing (issue 21)',
    (_name, overrides, strategy) => {
      const model = createModel(tinyLm({ ...overrides, maxSeqLen: 8 }));
      const decoder = createDecoder(model, strategy === undefined ? {} : { strategy });
      for (let t = 0; t < 8; t++) decoder.step([SEQ[t]!, SEQ[t + 1]!]).dispose();
      const before = tf.memory().numTensors;
      expect(() => decoder.step([1, 2])).toThrow(
        /Decoder.step: `tokens \(position\)` must be at a position < maxSeqLen = 8 \(the model's longest sequence\), received 8\. Call reset\(\)/,
      );
      expect(decoder.length).toBe(8);
      expect(tf.memory().numTensors).toBe(before);
      decoder.reset();
      decoder.step([1, 2]).dispose();
      decoder.dispose();
      model.dispose();
    },
  );

  it('generate checks prompt length + maxNewTokens against maxSeqLen before any step (issue 21)', () => {
    const model = createModel(tinyLm({ maxSeqLen: 8 }));
    const decoder = createDecoder(model);
    decoder.step([1]).dispose();
    expect(() => decoder.generate([[1, 2, 3, 4, 5, 6]], { maxNewTokens: 3 })).toThrow(
      /Decoder.generate: `options.maxNewTokens` must be at most maxSeqLen − prompt length = 8 − 6 = 2, received 3/,
    );
    expect(() => decoder.generate([Array(9).fill(1)], { maxNewTokens: 0 })).toThrow(
      /`prompt\[0\].length` must be at most maxSeqLen = 8, received 9/,
    );
    expect(decoder.length).toBe(1);
    const [row] = decoder.generate([[1, 2, 3, 4, 5, 6]], { maxNewTokens: 2, temperature: 0 });
    expect(row).toHaveLength(8);
    decoder.dispose();
    model.dispose();
  });

  it('rejects token ids outside [0, vocabSize), non-integers and disposed tensors (issue 21)', () => {
    const model = createModel(tinyLm());
    const decoder = createDecoder(model);
    const range = 'must be a token id, an integer in \\[0, 8\\)';
    expect(() => decoder.step([8])).toThrow(
      new RegExp(`Decoder.step: \`tokens\\[0\\]\` ${range}, received 8`),
    );
    expect(() => decoder.step([2, -1])).toThrow(new RegExp(`\`tokens\\[1\\]\` ${range}, received -1`));
    expect(() => decoder.step([1.5])).toThrow(/received 1.5/);
    expect(() => decoder.step([Number.NaN])).toThrow(/received NaN/);
    const ids = tf.tensor1d([3, 8], 'int32');
    expect(() => decoder.step(ids)).toThrow(
      /`tokens\[1\]` must be a token id, an integer in \[0, 8\), received 8/,
    );
    const float = tf.tensor1d([1.5]);
    expect(() => decoder.step(float as tf.Tensor1D)).toThrow(/received a float32 tensor of shape \[1\]/);
    ids.dispose();
    expect(() => decoder.step(ids)).toThrow(
      /Decoder.step: `tokens` must be a live tf.Tensor.*`tokens` is a disposed tensor/,
    );
    expect(() => decoder.generate([[1, 9]], { maxNewTokens: 1 })).toThrow(
      /Decoder.generate: `prompt\[0, 1\]` must be a token id, an integer in \[0, 8\), received 9/,
    );
    expect(decoder.length).toBe(0);
    float.dispose();
    decoder.dispose();
    model.dispose();
  });
});
