import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { MaskMod } from '@efficient-attention/core';
import { andMasks, blockSparseAttention, causal, createBlockMask } from '@efficient-attention/sparse-masks';

await tf.setBackend('cpu');
// A new pattern is a pure predicate (b, h, q, kv) => boolean: here, every query sees the keys of its own
// 64-token "sentence" plus the first token of every earlier sentence.
const sentence = 64;
const sentenceStarts: MaskMod = (_b, _h, q, kv) =>
  Math.floor(q / sentence) === Math.floor(kv / sentence) || kv % sentence === 0;

// Compose it with the built-ins, compile it into blocks once, and run block-sparse attention.
const mask = andMasks(causal(), sentenceStarts);
const blockMask = createBlockMask(mask, 256, 256, { blockSize: 32 });
const q = tf.randomNormal([1, 2, 256, 16], 0, 1, 'float32', 1);
console.log(blockMask.toString());
console.log(blockSparseAttention(q, q, q, blockMask).shape);
