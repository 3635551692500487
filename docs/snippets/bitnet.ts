import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { bitLinear, modelSizeReport, quantizeWeights } from '@efficient-attention/bitnet';

await tf.setBackend('cpu');
const w = tf.randomNormal([64, 128], 0, 0.05, 'float32', 1); // [dIn, dOut] latent float weights

// BitNet b1.58: W̃ = round-clip(W / mean|W|, −1, 1), so every weight is −1, 0 or +1 with one scale.
const { values, scale } = quantizeWeights(w, { bits: 1.58 });
const ternary = Array.from(new Set(values.dataSync())).sort();
console.log('weight values:', ternary, 'scale:', scale.dataSync()[0]?.toFixed(4));

// BitLinear: RMSNorm → int8 activations (absmax) → ternary matmul; trains through the STE.
const x = tf.randomNormal([2, 8, 64], 0, 1, 'float32', 2); // [batch, seq, dIn]
console.log(bitLinear(x, w).shape);

// Storage of a 4096×4096 projection in each format.
const report = modelSizeReport([{ name: 'proj', shape: [4096, 4096] }]);
console.log(
  `i2s ${report.compressionVsFp32.i2s.toFixed(1)}× and tq1 ${report.compressionVsFp32.tq1.toFixed(1)}× smaller than fp32`,
);
