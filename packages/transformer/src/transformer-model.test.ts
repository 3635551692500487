import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import type { ModelConfig } from './model-config.js';
import { copyTask, tinyClassifier, tinyLm } from './test-support/tiny-configs.js';
import { trainStep } from './train-step.js';
import { createModel } from './transformer-model.js';

const tokens = () =>
  tf.tensor2d(
    [
      [1, 2, 3, 4, 5, 6],
      [6, 5, 4, 3, 2, 1],
    ],
    undefined,
    'int32',
  );

/** Every combination the issue lists: mechanisms × encoding kinds × projections. */
const variants: Array<[string, Partial<ModelConfig>]> = [
  ['dense + rope', {}],
  [
    'memory-efficient + alibi',
    {
      attention: { mechanism: 'memory-efficient', config: { queryChunkSize: 4, keyChunkSize: 4 } },
      positional: { encoding: 'alibi' },
    },
  ],
  [
    'block-sparse sliding window + t5',
    {
      attention: {
        mechanism: 'block-sparse',
        config: { pattern: 'sliding-window', before: 2, blockSize: 2 },
      },
      positional: { encoding: 't5' },
    },
  ],
  [
    'dense + mask + learned',
    {
      attention: { mechanism: 'dense', mask: { pattern: 'sliding-window', before: 3 } },
      positional: { encoding: 'learned' },
    },
  ],
  [
    'adaptive-span + sinusoidal',
    {
      attention: {
        mechanism: 'adaptive-span',
        config: { maxSpan: 8, rampSize: 2, initialSpan: 4, blockSize: 4 },
      },
      positional: { encoding: 'sinusoidal' },
    },
  ],
  [
    'entmax-alpha + alibi (learnable)',
    {
      attention: { mechanism: 'entmax-alpha' },
      positional: { encoding: 'alibi', config: { learnable: true } },
    },
  ],
  ['linear-elu + rope', { attention: { mechanism: 'linear-elu' } }],
  [
    'performer + nope, bitnet',
    {
      attention: { mechanism: 'performer', config: { numFeatures: 16 } },
      positional: { encoding: 'nope' },
      projections: 'bitnet',
    },
  ],
  [
    'reformer-lsh + linear',
    {
      attention: { mechanism: 'reformer-lsh', config: { numHashes: 2, chunkSize: 2 } },
      positional: { encoding: 'linear' },
    },
  ],
  ['hamming + rope, bitnet', { attention: { mechanism: 'hamming' }, projections: 'bitnet' }],
];

describeBackends('TransformerModel', () => {
  it.each(variants)(
    '%s: LM logits, finite loss, gradients reach every trainable variable, no leaks',
    (_name, overrides) => {
      const model = createModel(tinyLm(overrides));
      const x = tokens();
      const targets = tf.tensor2d(
        [
          [2, 3, 4, 5, 6, -1],
          [5, 4, 3, 2, 1, -1],
        ],
        undefined,
        'int32',
      );
      // Warm-up: encodings and mechanisms cache tables (RoPE cos/sin, block masks) on first use.
      tf.dispose(model.apply(x));
      expectNoLeaks(() => {
        const logits = model.apply(x);
        expect(logits.shape).toEqual([2, 6, 8]);
        const loss = model.loss(x, targets);
        expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
        const { value, grads } = tf.variableGrads(
          () => tf.add(model.loss(x, targets), model.auxiliaryLoss()),
          model.trainableVariables,
        );
        for (const v of model.trainableVariables) {
          const g = grads[v.name];
          expect(g, `gradient of ${model.namedVariables().find(([, w]) => w === v)?.[0]}`).toBeDefined();
          const norm = tf.tidy(() => tf.norm(g!).dataSync()[0]!);
          expect(Number.isFinite(norm)).toBe(true);
        }
        return [logits, loss, value, ...Object.values(grads)];
      });
      tf.dispose([x, targets]);
      model.dispose();
    },
  );

  it('classifier: logits [batch, numClasses] with mean and first pooling, Linformer at maxSeqLen', () => {
    for (const overrides of [
      {},
      { pooling: 'first' as const },
      { attention: { mechanism: 'linformer', config: { projectedLength: 4 } } },
      { attention: { mechanism: 'nystromformer', config: { numLandmarks: 4 } } },
    ]) {
      const model = createModel(tinyClassifier(overrides));
      const x = tf.tensor2d([Array.from({ length: 12 }, (_, i) => i % 8)], undefined, 'int32');
      const y = tf.tensor1d([2], 'int32');
      expectNoLeaks(() => {
        const logits = model.apply(x);
        expect(logits.shape).toEqual([1, 3]);
        return [logits, model.loss(x, y)];
      });
      tf.dispose([x, y]);
      model.dispose();
    }
  });

  it('the cross-entropy equals −log softmax of the logits at the targets, ignoring −1', () => {
    const model = createModel(tinyLm({ numLayers: 1 }));
    const x = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    const targets = tf.tensor2d([[4, -1, 7]], undefined, 'int32');
    const logits = model.apply(x).arraySync() as number[][][];
    const nll = (row: number[], t: number) => {
      const m = Math.max(...row);
      return Math.log(row.reduce((s, z) => s + Math.exp(z - m), 0)) + m - row[t]!;
    };
    const expected = (nll(logits[0]![0]!, 4) + nll(logits[0]![2]!, 7)) / 2;
    const loss = model.loss(x, targets);
    expectTensorsClose(loss, [expected], { atol: 1e-5, rtol: 1e-5 });
    tf.dispose([x, targets, loss]);
    model.dispose();
  });

  it('rejects token tensors of the wrong type, rank or length', () => {
    const model = createModel(tinyLm());
    const long = tf.zeros([1, 17], 'int32') as tf.Tensor2D;
    const float = tf.zeros([1, 4]) as tf.Tensor2D;
    expect(() => model.apply(long)).toThrow(
      /tokens.shape\[1\] \(seq\)` must be at most maxSeqLen = 16, received 17/,
    );
    expect(() => model.apply(float)).toThrow(
      /`tokens` must be a non-empty int32 tensor \[batch, seq\], received a float32 tensor of shape \[1, 4\]/,
    );
    const cls = createModel(tinyClassifier({ attention: { mechanism: 'linformer' } }));
    const short = tf.zeros([1, 4], 'int32') as tf.Tensor2D;
    expect(() => cls.apply(short)).toThrow(/exactly maxSeqLen = 12/);
    tf.dispose([long, float, short]);
    model.dispose();
    cls.dispose();
  });

  it('rejects token ids outside [0, vocabSize) and disposed tensors; −1 targets stay "ignore" (issue 21)', () => {
    const model = createModel(tinyLm());
    const range = /must be a token id, an integer in \[0, 8\)/;
    const bad = tf.tensor2d([[1, 2, 8]], undefined, 'int32');
    const negative = tf.tensor2d([[1, -1, 2]], undefined, 'int32');
    const ok = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    expect(() => model.apply(bad)).toThrow(
      /TransformerModel.apply: `tokens\[0, 2\]` must be a token id, an integer in \[0, 8\), received 8\./,
    );
    expect(() => model.apply(negative)).toThrow(/`tokens\[0, 1\]` must be a token id.*received -1/);
    expect(() => model.attentionMaps(bad)).toThrow(/TransformerModel.attentionMaps: `tokens\[0, 2\]`/);
    expect(() => model.loss(negative, ok)).toThrow(/TransformerModel.loss: `tokens\[0, 1\]`/);
    for (const t of [bad, negative]) expect(() => model.apply(t)).toThrow(range);
    const targets = tf.tensor2d([[2, -1, 9]], undefined, 'int32');
    expect(() => model.loss(ok, targets)).toThrow(
      /`targets\[0, 2\]` must be a token id, an integer in \[0, 8\) or −1 \(ignore\), received 9/,
    );
    const ignored = tf.tensor2d([[2, -1, -1]], undefined, 'int32');
    const loss = model.loss(ok, ignored);
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    const gone = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    gone.dispose();
    expect(() => model.apply(gone)).toThrow(
      /`tokens` must be a live tf.Tensor.*`tokens` is a disposed tensor/,
    );
    targets.dispose();
    expect(() => model.loss(ok, targets)).toThrow(/`targets` is a disposed tensor/);
    const cls = createModel(tinyClassifier());
    const x = tf.zeros([1, 12], 'int32') as tf.Tensor2D;
    const y = tf.tensor1d([3], 'int32');
    expect(() => cls.loss(x, y)).toThrow(
      /`targets\[0\]` must be a class index, an integer in \[0, 3\) or −1/,
    );
    tf.dispose([bad, negative, ok, ignored, loss, x, y]);
    cls.dispose();
    model.dispose();
  });

  it('creating and disposing a model leaves no tensors', () => {
    const before = tf.memory().numTensors;
    createModel(tinyLm({ projections: 'bitnet', positional: { encoding: 'learned' } })).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('counts parameters and bytes; BitNet projections deploy packed 2-bit', () => {
    const float = createModel(tinyLm());
    const bit = createModel(tinyLm({ projections: 'bitnet' }));
    const sum = (m: typeof float) => m.trainableVariables.reduce((s, v) => s + v.size, 0);
    expect(float.parameterCount()).toBe(sum(float));
    // 8·16 embedding + 2 layers × (4·16·16 attention + 2·16·32 FFN + 2·16 norms) + 16 final norm + 16·8 + 8 head
    expect(float.parameterCount()).toBe(8 * 16 + 2 * (4 * 256 + 2 * 512 + 32) + 16 + 128 + 8);
    expect(float.weightBytes()).toEqual({
      float32: 4 * float.parameterCount(),
      deployed: 4 * float.parameterCount(),
    });
    const b = bit.weightBytes();
    expect(b.float32).toBe(4 * bit.parameterCount());
    // Per layer: 4 projections of 16 rows × 16 (1 word of 2-bit per row) + FFN in (32 rows × 16) and out (16 rows × 32, 2 words).
    const packed = 4 * (16 * 4 + 4) + (32 * 4 + 4) + (16 * 8 + 4);
    const gains = 4 * (4 * 16 + 16 + 32);
    const rest = 4 * (8 * 16 + 2 * 32 + 16 + 128 + 8);
    expect(b.deployed).toBe(2 * (packed + gains) + rest);
    float.dispose();
    bit.dispose();
  });

  it('inspect reports spans, entmax α and learned ALiBi slopes per layer', () => {
    const span = createModel(
      tinyLm({ attention: { mechanism: 'adaptive-span', config: { maxSpan: 8, initialSpan: 3 } } }),
    );
    const layers = span.inspect().layers as Array<{ spans: number[] }>;
    expect(layers).toHaveLength(2);
    expect(layers[0]!.spans).toEqual([3, 3]);
    span.dispose();
    const alpha = createModel(
      tinyLm({
        attention: { mechanism: 'entmax-alpha', config: { initialAlpha: 1.5 } },
        positional: { encoding: 'alibi', config: { learnable: true } },
      }),
    );
    const info = alpha.inspect() as { layers: Array<{ alpha: number[] }>; positional: { slopes: number[] } };
    expect(info.layers[0]!.alpha[0]).toBeCloseTo(1.5, 5);
    expect(info.positional.slopes).toHaveLength(2);
    alpha.dispose();
  });

  it('auxiliaryLoss is the adaptive-span penalty λ·mean(z), and constrain clamps spans to [0, maxSpan]', () => {
    const model = createModel(
      tinyLm({
        attention: { mechanism: 'adaptive-span', config: { maxSpan: 8, initialSpan: 4 } },
        regularization: { spanPenalty: 0.5 },
      }),
    );
    const aux = model.auxiliaryLoss();
    expectTensorsClose(aux, [0.5 * 4]);
    const span = model.namedVariables().find(([n]) => n === 'layers.0.attention.mechanism.span')![1];
    span.assign(tf.tensor1d([-1, 20]));
    model.constrain();
    expectTensorsClose(span, [0, 8]);
    aux.dispose();
    model.dispose();
    const dense = createModel(tinyLm());
    const zero = dense.auxiliaryLoss();
    expectTensorsClose(zero, [0]);
    zero.dispose();
    dense.dispose();
  });
});

describeBackends(
  'training on the copy task',
  () => {
    it.each([
      ['dense + rope', {}],
      [
        'block-sparse sliding window + alibi',
        {
          attention: {
            mechanism: 'block-sparse',
            config: { pattern: 'sliding-window', before: 4, blockSize: 8 },
          },
          positional: { encoding: 'alibi' },
        },
      ],
      ['linear-elu + rope', { attention: { mechanism: 'linear-elu' } }],
      ['dense + rope, bitnet', { projections: 'bitnet' }],
    ] as Array<[string, Partial<ModelConfig>]>)('%s: 12 Adam steps halve the loss', (_name, overrides) => {
      const model = createModel(tinyLm({ numLayers: 1, ...overrides }));
      const { tokens: x, targets } = copyTask(8, 4, 8, 3);
      const optimizer = tf.train.adam(0.02);
      const losses = [trainStep(model, optimizer, x, targets, { clipNorm: 1 })];
      // After the first step (Adam's slots, cached tables) the step allocates nothing that outlives it.
      const before = tf.memory().numTensors;
      for (let i = 1; i < 12; i++) losses.push(trainStep(model, optimizer, x, targets, { clipNorm: 1 }));
      expect(tf.memory().numTensors).toBe(before);
      // ln 7 ≈ 1.95 at chance; the first steps already learn the token statistics of the second half.
      expect(losses[11]!, losses.map((l) => l.toFixed(3)).join(' ')).toBeLessThan(0.5 * losses[0]!);
      optimizer.dispose();
      tf.dispose([x, targets]);
      model.dispose();
    });
  },
  { backends: ['wasm'] },
);
