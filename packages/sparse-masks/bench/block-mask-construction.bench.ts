import { defineBenchSuite } from '@efficient-attention/bench';
import type { MaskMod } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  andMasks,
  attentionSink,
  bigBird,
  blockLocal,
  causal,
  createBlockMask,
  dilatedSlidingWindow,
  documentMask,
  fixed,
  globalTokens,
  longformer,
  prefixLM,
  randomPattern,
  slidingWindow,
  starTransformer,
  strided,
} from '../src/index.js';

const N = 16384;

/**
 * Every built-in pattern at N = 16384. The pattern is created inside the timed run, so random draws are
 * included (their per-row caches start empty every iteration).
 */
const patterns: Array<{ name: string; blockSize: number; make: () => MaskMod }> = [
  { name: 'causal', blockSize: 128, make: () => causal() },
  { name: 'sliding window r=128', blockSize: 128, make: () => slidingWindow({ radius: 128 }) },
  { name: 'dilated r=64 d=2', blockSize: 128, make: () => dilatedSlidingWindow({ radius: 64, dilation: 2 }) },
  {
    name: 'global tokens (8)',
    blockSize: 128,
    make: () => globalTokens({ indices: [0, 1, 2, 3, 4, 5, 6, 7] }),
  },
  { name: 'random perRow=3', blockSize: 128, make: () => randomPattern({ kvLen: N, perRow: 3, seed: 1 }) },
  {
    name: 'random perRow=3 bs=32',
    blockSize: 32,
    make: () => randomPattern({ kvLen: N, perRow: 3, seed: 1 }),
  },
  { name: 'block local 256', blockSize: 128, make: () => blockLocal({ size: 256 }) },
  { name: 'strided 128', blockSize: 128, make: () => strided({ stride: 128 }) },
  { name: 'fixed 128/8', blockSize: 128, make: () => fixed({ stride: 128, summary: 8 }) },
  { name: 'prefix-LM 1024', blockSize: 128, make: () => prefixLM({ prefixLength: 1024 }) },
  {
    name: 'documents (8 packed)',
    blockSize: 128,
    make: () => documentMask({ documentIds: Array.from({ length: N }, (_, i) => Math.floor((i * 8) / N)) }),
  },
  { name: 'attention sink 4+1020', blockSize: 128, make: () => attentionSink({ sinks: 4, window: 1020 }) },
  {
    name: 'longformer r=256 +[CLS]',
    blockSize: 128,
    make: () => longformer({ radius: 256, globalIndices: [0] }),
  },
  { name: 'bigbird 64', blockSize: 64, make: () => bigBird({ seqLen: N, blockSize: 64 }) },
  { name: 'star-transformer', blockSize: 128, make: () => starTransformer({ seqLen: N }) },
  {
    name: 'causal ∧ sliding window r=128',
    blockSize: 128,
    make: () => andMasks(causal(), slidingWindow({ radius: 128 })),
  },
];

export default defineBenchSuite({
  name: 'sparse-masks-block-mask-construction',
  backends: ['cpu'],
  iterations: 10,
  // Pure JS: no tensors, so one process is enough (the memory column is then cumulative).
  isolation: 'shared',
  cases: patterns.map((p) => ({
    name: p.name,
    params: { N, blockSize: p.blockSize },
    setup: () => ({}),
    run: () => {
      const mask = createBlockMask(p.make(), N, N, { blockSize: p.blockSize });
      return tf.scalar(mask.sparsity());
    },
  })),
});
