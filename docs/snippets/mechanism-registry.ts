import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerAll } from '@efficient-attention/all';
import { attentionMechanisms } from '@efficient-attention/core';

await tf.setBackend('cpu');
// Nothing registers on import: one call adds every built-in mechanism (and encoding).
registerAll();

// Definitions are data: capabilities, paper and option schema. Filter the registry instead of reading papers.
for (const def of attentionMechanisms.list()) {
  const c = def.capabilities;
  console.log(
    `${def.name.padEnd(16)} ${c.family.padEnd(9)} ${c.timeComplexity.padEnd(12)} ${c.accuracy.kind.padEnd(12)} ${def.paper.authors} ${def.paper.year}`,
  );
}

// Every mechanism is a factory: create(config, context) → { params, apply(q, k, v, options) }; the config is
// checked against its option schema (`def.options`: type, default, range per key).
const performer = attentionMechanisms
  .get('performer')
  .create({ numFeatures: 32 }, { seed: 1, heads: 2, headDim: 16 });
const q = tf.randomNormal([1, 2, 64, 16], 0, 0.5, 'float32', 1);
console.log(performer.apply(q, q, q, { causal: true }).shape);
