import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { encodingMatrix, sinusoidal } from '@efficient-attention/encodings';

await tf.setBackend('cpu');
// PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(p / 10000^(2i/d))
const encoding = sinusoidal({ dim: 16 });
const table = encodingMatrix(encoding, 8); // [8 positions][16 dims], plain arrays
console.log(table[1]?.slice(0, 4).map((x) => x.toFixed(3)));

// Added to token embeddings [batch, seq, dim] before the first attention layer.
const embeddings = tf.zeros([2, 8, 16]);
console.log(encoding.apply(embeddings).shape);
