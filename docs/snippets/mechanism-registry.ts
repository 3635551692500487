import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerAdaptive } from '@efficient-attention/adaptive';
import { attentionMechanisms, registerCoreMechanisms } from '@efficient-attention/core';
import { registerLinearAttention } from '@efficient-attention/linear-attention';
import { registerSparseMasks } from '@efficient-attention/sparse-masks';

await tf.setBackend('cpu');
// Nothing registers on import: each package adds its mechanisms when asked.
registerCoreMechanisms();
registerSparseMasks();
registerAdaptive();
registerLinearAttention();

// Capabilities are data: filter the registry instead of reading papers.
for (const def of attentionMechanisms.list()) {
  const c = def.capabilities;
  console.log(
    `${def.name.padEnd(16)} ${c.family.padEnd(9)} ${c.timeComplexity.padEnd(12)} ${c.accuracy.kind}`,
  );
}

// Every mechanism is a factory: create(config, context) → { params, apply(q, k, v, options) }.
const performer = attentionMechanisms
  .get('performer')
  .create({ numFeatures: 32 }, { seed: 1, heads: 2, headDim: 16 });
const q = tf.randomNormal([1, 2, 64, 16], 0, 0.5, 'float32', 1);
console.log(performer.apply(q, q, q, { causal: true }).shape);
