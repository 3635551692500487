import { defineBenchSuite } from '@efficient-attention/bench';
import * as tf from '@tensorflow/tfjs-core';
import {
  createDecoder,
  createModel,
  type Decoder,
  type ModelConfig,
  type TransformerModel,
} from '../src/index.js';

/** A small causal LM: dModel 128, 4 heads, 2 layers, vocab 256 (byte-level), RoPE. */
const base = (n: number, overrides: Partial<ModelConfig>): ModelConfig => ({
  task: 'causal-lm',
  vocabSize: 256,
  maxSeqLen: n,
  dModel: 128,
  numHeads: 4,
  numLayers: 2,
  attention: { mechanism: 'dense' },
  positional: { encoding: 'rope' },
  seed: 1,
  ...overrides,
});

const variants: Array<[string, Partial<ModelConfig>]> = [
  ['dense', {}],
  [
    'sliding-window w=64',
    {
      attention: {
        mechanism: 'block-sparse',
        config: { pattern: 'sliding-window', before: 64, blockSize: 64 },
      },
    },
  ],
  ['linear-elu', { attention: { mechanism: 'linear-elu' } }],
  ['performer', { attention: { mechanism: 'performer' } }],
  ['dense bitnet', { projections: 'bitnet' }],
];
const NS = [256, 1024];
const PREFIX = 256;

// Each case runs in its own process (the harness's default isolation): models are built once per process.
const models = new Map<string, TransformerModel>();
const modelFor = (key: string, config: ModelConfig) => {
  let m = models.get(key);
  if (m === undefined) {
    m = createModel(config);
    models.set(key, m);
  }
  return m;
};
const decoders = new Map<string, Decoder>();
const tokens = (n: number) =>
  tf.tensor2d(
    Array.from({ length: n }, (_, i) => (i * 31) % 256),
    [1, n],
    'int32',
  );

/**
 * Forward passes (tokens/s = N / median time) and one decoding step after a 256-token prefix (KV cache,
 * rolling window cache, recurrent state) of a small causal LM per mechanism. Training steps are not
 * benchmarked here.
 */
export default defineBenchSuite({
  name: 'transformer',
  backends: ['wasm'],
  iterations: 5,
  cases: [
    ...variants.flatMap(([label, overrides]) =>
      NS.map((n) => ({
        name: `forward ${label} N=${n}`,
        params: { N: n, tokens: n, dModel: 128, layers: 2, mechanism: label },
        setup: () => {
          modelFor(`${label}:${n}`, base(n, overrides));
          return tokens(n);
        },
        run: (x: tf.Tensor2D) => models.get(`${label}:${n}`)!.apply(x),
      })),
    ),
    ...variants.map(([label, overrides]) => ({
      name: `decode step ${label} after ${PREFIX}`,
      params: { N: PREFIX, tokens: 1, dModel: 128, layers: 2, mechanism: label },
      setup: () => {
        const model = modelFor(`${label}:decode`, base(PREFIX + 64, overrides));
        const decoder = createDecoder(model);
        for (let t = 0; t < PREFIX; t++) decoder.step([t % 256]).dispose();
        decoders.set(label, decoder);
        return tf.tensor1d([7], 'int32');
      },
      run: (x: tf.Tensor1D) => decoders.get(label)!.step(x),
    })),
  ],
  ratios: [
    {
      name: 'forward dense / sliding-window at N=1024 (> 1: the window is faster)',
      numerator: 'forward dense N=1024',
      denominator: 'forward sliding-window w=64 N=1024',
    },
    {
      name: 'forward dense / linear-elu at N=1024',
      numerator: 'forward dense N=1024',
      denominator: 'forward linear-elu N=1024',
    },
    {
      name: `decode step dense / linear-elu after ${PREFIX} (KV cache vs recurrent state)`,
      numerator: `decode step dense after ${PREFIX}`,
      denominator: `decode step linear-elu after ${PREFIX}`,
    },
  ],
});
