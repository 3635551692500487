import { IncompatibleOptionsError, InvalidArgumentError } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { validateModelConfig } from './model-config.js';
import { tinyClassifier, tinyLm } from './test-support/tiny-configs.js';

const invalid = (config: unknown, parameter: string) => {
  let error: unknown;
  try {
    validateModelConfig(config);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).parameter).toBe(parameter);
  expect((error as Error).message).toMatch(/must be .*, received /);
};
const incompatible = (config: unknown, message: RegExp) => {
  expect(() => validateModelConfig(config)).toThrow(IncompatibleOptionsError);
  expect(() => validateModelConfig(config)).toThrow(message);
};

describe('validateModelConfig', () => {
  it('fills the defaults of a causal LM', () => {
    const c = validateModelConfig({ ...tinyLm(), ffnMultiplier: undefined });
    expect(c).toMatchObject({
      ffnMultiplier: 4,
      projections: 'float',
      causal: true,
      attention: { mechanism: 'dense', config: {} },
      positional: { encoding: 'rope', config: {} },
      regularization: { spanPenalty: 0 },
    });
    expect('pooling' in c).toBe(false);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
    // Idempotent: a saved (validated) config validates to itself.
    expect(validateModelConfig(c)).toEqual(c);
    const span = validateModelConfig(tinyLm({ attention: { mechanism: 'adaptive-span' } }));
    expect(validateModelConfig(span)).toEqual(span);
    expect(validateModelConfig(validateModelConfig(tinyClassifier()))).toEqual(
      validateModelConfig(tinyClassifier()),
    );
  });

  it('fills the defaults of a classifier and of adaptive span', () => {
    const c = validateModelConfig(tinyClassifier());
    expect(c).toMatchObject({ causal: false, pooling: 'mean', numClasses: 3 });
    const s = validateModelConfig(
      tinyLm({ attention: { mechanism: 'adaptive-span', config: { maxSpan: 16 } } }),
    );
    expect(s.regularization.spanPenalty).toBe(2e-6);
  });

  it('rejects wrong types and values, naming the field', () => {
    invalid(null, 'config');
    invalid([], 'config');
    invalid({ ...tinyLm(), dmodel: 16 }, 'config.dmodel');
    invalid({ ...tinyLm(), task: 'seq2seq' }, 'config.task');
    invalid({ ...tinyLm(), vocabSize: 1 }, 'config.vocabSize');
    invalid(tinyClassifier({ numClasses: undefined }), 'config.numClasses');
    invalid(tinyClassifier({ numClasses: 2.5 }), 'config.numClasses');
    invalid({ ...tinyLm(), maxSeqLen: 0 }, 'config.maxSeqLen');
    invalid({ ...tinyLm(), dModel: '16' }, 'config.dModel');
    invalid({ ...tinyLm(), numHeads: 0 }, 'config.numHeads');
    invalid({ ...tinyLm(), dModel: 18, numHeads: 4 }, 'config.dModel');
    invalid({ ...tinyLm(), numLayers: 0 }, 'config.numLayers');
    invalid({ ...tinyLm(), ffnMultiplier: -1 }, 'config.ffnMultiplier');
    invalid({ ...tinyLm(), ffnMultiplier: 0.01 }, 'config.ffnMultiplier');
    invalid({ ...tinyLm(), seed: 0.5 }, 'config.seed');
    invalid({ ...tinyLm(), projections: 'int8' }, 'config.projections');
    invalid({ ...tinyLm(), causal: 'yes' }, 'config.causal');
    invalid(tinyClassifier({ pooling: 'max' as 'mean' }), 'config.pooling');
    invalid({ ...tinyLm(), attention: 'dense' }, 'config.attention');
    invalid({ ...tinyLm(), attention: { mechanism: 'flash' } }, 'config.attention.mechanism');
    invalid({ ...tinyLm(), attention: { mechanism: 'dense', extra: 1 } }, 'config.attention.extra');
    invalid({ ...tinyLm(), attention: { mechanism: 'dense', config: [] } }, 'config.attention.config');
    invalid(
      { ...tinyLm(), attention: { mechanism: 'dense', mask: { pattern: 'nope' } } },
      'config.attention.mask.pattern',
    );
    invalid(
      { ...tinyLm(), attention: { mechanism: 'dense', config: { chunk: 4 } } },
      'config.attention.config.chunk',
    );
    invalid(
      { ...tinyLm(), attention: { mechanism: 'performer', config: { features: 4 } } },
      'config.attention.config.features',
    );
    invalid(
      {
        ...tinyLm(),
        attention: { mechanism: 'block-sparse', config: { pattern: 'sliding-window', window: 4 } },
      },
      'config.attention.config.window',
    );
    invalid(
      { ...tinyLm(), attention: { mechanism: 'block-sparse', config: { pattern: 'diagonal' } } },
      'config.attention.config.pattern',
    );
    invalid(
      { ...tinyLm(), attention: { mechanism: 'dense', mask: { pattern: 'sliding-window', size: 2 } } },
      'config.attention.mask.size',
    );
    invalid({ ...tinyLm(), positional: { encoding: 'absolute' } }, 'config.positional.encoding');
    invalid({ ...tinyLm(), positional: { encoding: 'rope', config: 3 } }, 'config.positional.config');
    invalid({ ...tinyLm(), positional: { encoding: 'rope', base: 3 } }, 'config.positional.base');
    invalid({ ...tinyLm(), regularization: { l2: 1 } }, 'config.regularization.l2');
    invalid(
      tinyLm({ attention: { mechanism: 'adaptive-span' }, regularization: { spanPenalty: -1 } }),
      'config.regularization.spanPenalty',
    );
  });

  it('rejects incompatible combinations with a sentence naming both sides', () => {
    incompatible(tinyLm({ attention: { mechanism: 'linformer' } }), /'linformer'.*cannot be causal/);
    incompatible(
      tinyLm({ attention: { mechanism: 'nystromformer' } }),
      /'nystromformer' does not support causal/,
    );
    incompatible(
      tinyClassifier({ causal: true, attention: { mechanism: 'linformer' } }),
      /requiresFixedLength/,
    );
    incompatible(tinyLm({ causal: false }), /must be causal/);
    incompatible(tinyLm({ numClasses: 3 }), /`numClasses` belongs to task 'classifier'/);
    incompatible(tinyLm({ pooling: 'mean' }), /`pooling` belongs to task 'classifier'/);
    incompatible(
      tinyLm({ attention: { mechanism: 'performer' }, positional: { encoding: 'alibi' } }),
      /the 'alibi' encoding .* 'performer' never forms the scores/,
    );
    incompatible(
      tinyClassifier({ attention: { mechanism: 'linear-elu' }, positional: { encoding: 't5' } }),
      /the 't5' encoding .* 'linear-elu'/,
    );
    incompatible(
      tinyLm({ attention: { mechanism: 'linear-elu', mask: { pattern: 'sliding-window', radius: 2 } } }),
      /the mask 'sliding-window' .* 'linear-elu' ignores them/,
    );
    incompatible(tinyLm({ regularization: { spanPenalty: 1e-3 } }), /'dense' has none/);
  });

  it('accepts the compatible combinations the issue lists', () => {
    for (const config of [
      tinyLm({
        attention: {
          mechanism: 'block-sparse',
          config: { pattern: 'sliding-window', radius: 2, blockSize: 4 },
        },
        positional: { encoding: 'alibi' },
      }),
      tinyLm({
        attention: { mechanism: 'performer' },
        positional: { encoding: 'rope' },
        projections: 'bitnet',
      }),
      tinyLm({
        attention: { mechanism: 'dense', mask: { pattern: 'sliding-window', before: 2 } },
        positional: { encoding: 't5' },
      }),
      tinyClassifier({ attention: { mechanism: 'linformer', config: { projectedLength: 4 } } }),
      tinyClassifier({ attention: { mechanism: 'nystromformer' }, pooling: 'first' }),
      tinyLm({ attention: { mechanism: 'entmax-alpha' }, positional: { encoding: 'sinusoidal' } }),
      tinyLm({ attention: { mechanism: 'hamming' }, positional: { encoding: 'nope' } }),
      tinyLm({ attention: { mechanism: 'reformer-lsh' }, positional: { encoding: 'linear' } }),
    ]) {
      expect(() => validateModelConfig(config)).not.toThrow();
    }
  });
});
