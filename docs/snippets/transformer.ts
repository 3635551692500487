import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients; the @tensorflow/tfjs bundle registers them all.
import '@tensorflow/tfjs';
import {
  createDecoder,
  createModel,
  type ModelConfig,
  trainStep,
  validateModelConfig,
} from '@efficient-attention/transformer';

await tf.setBackend('cpu');
// A tiny causal LM as plain JSON: sliding-window block-sparse attention (each token sees itself and the 4
// tokens before it) with RoPE.
const config: ModelConfig = {
  task: 'causal-lm',
  vocabSize: 16,
  maxSeqLen: 32,
  dModel: 32,
  numHeads: 4,
  numLayers: 2,
  attention: { mechanism: 'block-sparse', config: { pattern: 'sliding-window', before: 4, blockSize: 8 } },
  positional: { encoding: 'rope' },
  seed: 1,
};
// validateModelConfig fills the defaults, and rejects an impossible combination with a sentence.
const resolved = validateModelConfig(config);
console.log(`causal ${resolved.causal}, ${resolved.projections} projections, FFN ×${resolved.ffnMultiplier}`);
const model = createModel(resolved);

// Next-token targets: the input shifted left, −1 where there is nothing to predict.
const tokens = tf.tensor2d(
  [
    [1, 2, 3, 4, 5, 6, 7, 8],
    [8, 7, 6, 5, 4, 3, 2, 1],
  ],
  undefined,
  'int32',
);
const targets = tf.tensor2d(
  [
    [2, 3, 4, 5, 6, 7, 8, -1],
    [7, 6, 5, 4, 3, 2, 1, -1],
  ],
  undefined,
  'int32',
);
const optimizer = tf.train.adam(0.01);
for (let step = 0; step < 3; step++) {
  console.log(`step ${step}: loss ${trainStep(model, optimizer, tokens, targets).toFixed(3)}`);
}

// Greedy decoding, token by token: a rolling cache of the last 5 keys per layer (the window), not the prefix.
const decoder = createDecoder(model);
const [row] = decoder.generate([[1, 2, 3]], { maxNewTokens: 4, temperature: 0 }); // the prompt + 4 tokens
console.log(decoder.strategy, JSON.stringify(row));

decoder.dispose();
model.dispose();
tf.dispose([tokens, targets]);
