import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { scaledDotProductAttention } from '@efficient-attention/core';
import {
  dotProductVsDistance,
  learnedPosition,
  linearPosition,
  rope,
  sinusoidal,
} from '@efficient-attention/encodings';

await tf.setBackend('cpu');
const embeddings = tf.randomNormal([1, 32, 16], 0, 1, 'float32', 1); // [batch, seq, dim]

// Additive encodings: a [seq, dim] table added to the embeddings.
const withSinusoidal = sinusoidal({ dim: 16 }).apply(embeddings);
const withLinear = linearPosition({ dim: 16, maxLength: 32 }).apply(embeddings); // t·w + b, t = p/(L−1)
const withLearned = learnedPosition({ dim: 16, maxLength: 32, seed: 7 }).apply(embeddings); // a trained table

// Rotary: rotate q and k by their positions; q·k then depends on the offset between them.
const q = tf.randomNormal([1, 2, 32, 16], 0, 1, 'float32', 2); // [batch, heads, seq, headDim]
const k = tf.randomNormal([1, 2, 32, 16], 0, 1, 'float32', 3);
const rotary = rope({ headDim: 16 });
const { q: qr, k: kr } = rotary.apply(q, k);
const out = scaledDotProductAttention(qr, kr, k, { causal: true });

// The curves the comparison figure plots: how q·k of identical vectors decays with distance.
const curve = dotProductVsDistance(rotary, { length: 8 });
console.log(withSinusoidal.shape, withLinear.shape, withLearned.shape, out.shape);
console.log(curve.value.map((x) => x.toFixed(2)).join(' '));
