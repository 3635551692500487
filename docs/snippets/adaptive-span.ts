import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AdaptiveSpan, sparsemax } from '@efficient-attention/adaptive';

await tf.setBackend('cpu');
const q = tf.randomNormal([1, 2, 128, 16], 0, 1, 'float32', 1); // [batch, heads, seq, headDim]

// One learnable span z per head; the soft mask m_z(x) = clamp((R + z − x) / R, 0, 1) fades keys out
// over R tokens past z, so z receives gradients. Compute follows the span: ⌈z + R⌉ keys per head.
const span = new AdaptiveSpan({ heads: 2, maxSpan: 128, rampSize: 8, initialSpan: 16 });
const out = span.attention(q, q, q, { causal: true });
console.log(out.shape, 'keys per head:', span.trimmedSpan(), 'L1 penalty:', span.penalty(1e-3).dataSync()[0]);

// Sparsemax: a softmax replacement that gives exact zeros to low scores.
console.log(sparsemax(tf.tensor1d([1, 0.8, -1])).arraySync()); // [0.6, 0.4, 0]
