import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  createLinformerProjections,
  favorPlus,
  linearAttention,
  linformerAttention,
  lshAttention,
} from '@efficient-attention/linear-attention';

await tf.setBackend('cpu');
const [n, d] = [256, 32];
const q = tf.randomNormal([1, 2, n, d], 0, 0.5, 'float32', 1); // [batch, heads, seq, headDim]
const k = tf.randomNormal([1, 2, n, d], 0, 0.5, 'float32', 2);
const v = tf.randomNormal([1, 2, n, d], 0, 1, 'float32', 3);

// Linformer: project the N keys and values down to k = 64 rows (E, F), then attend: O(N·k).
const projections = createLinformerProjections({ seqLen: n, projectedLength: 64, seed: 1 });
const linformer = linformerAttention(q, k, v, projections);

// Performer: positive random features φ with φ(q)·φ(k) ≈ exp(q·k/√d); (φ(Q)(φ(K)ᵀV)) is O(N·m·d).
const performer = linearAttention(q, k, v, { featureMap: favorPlus({ numFeatures: 64, seed: 7 }) });

// Reformer: hash q and k into buckets with random rotations, attend within sorted chunks.
const reformer = lshAttention(q, k, v, { numHashes: 2, chunkSize: 32, seed: 3 });
console.log(linformer.shape, performer.shape, reformer.shape);
