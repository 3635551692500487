import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../model-config.js';

/** A tiny causal LM config (dModel 16, 2 heads, 2 layers, vocab 8, up to 16 tokens) with overrides. */
export function tinyLm(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    task: 'causal-lm',
    vocabSize: 8,
    maxSeqLen: 16,
    dModel: 16,
    numHeads: 2,
    numLayers: 2,
    ffnMultiplier: 2,
    attention: { mechanism: 'dense' },
    positional: { encoding: 'rope' },
    seed: 1,
    ...overrides,
  };
}

/** A tiny classifier config (3 classes) with overrides. */
export function tinyClassifier(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    task: 'classifier',
    numClasses: 3,
    vocabSize: 8,
    maxSeqLen: 12,
    dModel: 16,
    numHeads: 2,
    numLayers: 1,
    ffnMultiplier: 2,
    attention: { mechanism: 'dense' },
    positional: { encoding: 'learned' },
    seed: 2,
    ...overrides,
  };
}

/**
 * The copy task: `[x₁ … x_h, SEP, x₁ … x_h]` with x drawn from tokens 1 … vocab − 1 (SEP = 0); LM targets
 * are the next token in the second half and −1 (ignored) elsewhere, so the only way to predict them is to
 * attend back to the first half.
 */
export function copyTask(
  batch: number,
  half: number,
  vocab: number,
  seed: number,
): { tokens: tf.Tensor2D; targets: tf.Tensor2D } {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const n = 2 * half + 1;
  const tokens: number[] = [];
  const targets: number[] = [];
  for (let b = 0; b < batch; b++) {
    const xs = Array.from({ length: half }, () => 1 + Math.floor(next() * (vocab - 1)));
    const row = [...xs, 0, ...xs];
    tokens.push(...row);
    for (let i = 0; i < n; i++) targets.push(i >= half && i < n - 1 ? row[i + 1]! : -1);
  }
  return {
    tokens: tf.tensor2d(tokens, [batch, n], 'int32'),
    targets: tf.tensor2d(targets, [batch, n], 'int32'),
  };
}
