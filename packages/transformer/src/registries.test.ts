import { attentionMechanisms } from '@efficient-attention/core';
import { positionalEncodings } from '@efficient-attention/encodings';
import { expect, it } from 'vitest';
import { transformerRegistries } from './registries.js';

it('transformerRegistries holds every package’s mechanisms and encodings without touching the global registries', () => {
  const globalMechanisms = attentionMechanisms.names();
  const globalEncodings = positionalEncodings.names();
  const { mechanisms, encodings } = transformerRegistries();
  expect(mechanisms.names()).toEqual(
    expect.arrayContaining([
      'dense',
      'memory-efficient',
      'block-sparse',
      'adaptive-span',
      'dynamic-span',
      'sparsemax',
      'entmax15',
      'entmax-alpha',
      'linear-elu',
      'linear-relu',
      'performer',
      'linformer',
      'nystromformer',
      'reformer-lsh',
      'hamming',
    ]),
  );
  expect(encodings.names()).toEqual(['alibi', 'learned', 'linear', 'nope', 'rope', 'sinusoidal', 't5']);
  expect(transformerRegistries()).toBe(transformerRegistries());
  expect(attentionMechanisms.names()).toEqual(globalMechanisms);
  expect(positionalEncodings.names()).toEqual(globalEncodings);
});
