import {
  assertKnownOptions,
  assertNumber,
  IncompatibleOptionsError,
  InvalidArgumentError,
  type MechanismCapabilities,
  RegistryError,
  resolveMechanismConfig,
  resolveOptions,
} from '@efficient-attention/core';
import { transformerRegistries } from './registries.js';

/** A mask pattern by name with its parameters, as sparse-masks' `createPatternMask` builds it (JSON). */
export interface MaskPatternConfig {
  /** A registered pattern name (sparse-masks' `maskPatterns`), e.g. `sliding-window`. */
  pattern: string;
  [parameter: string]: unknown;
}

/**
 * A model, fully described as JSON: an experiment is a list of these. Architecture: a pre-norm Transformer
 * (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762; pre-norm: Xiong et al. 2020,
 * https://arxiv.org/abs/2002.04745) over any registered attention mechanism and positional encoding.
 *
 * @example
 * ```ts
 * const config: ModelConfig = {
 *   task: 'causal-lm', vocabSize: 32, maxSeqLen: 64, dModel: 32, numHeads: 4, numLayers: 2,
 *   attention: { mechanism: 'block-sparse', config: { pattern: 'sliding-window', radius: 8, blockSize: 8 } },
 *   positional: { encoding: 'rope' },
 *   seed: 1,
 * };
 * ```
 */
export interface ModelConfig {
  task: 'causal-lm' | 'classifier';
  vocabSize: number;
  /** Required for `classifier`. */
  numClasses?: number;
  /** Longest sequence the model is built for (learned positions, Linformer length). */
  maxSeqLen: number;
  dModel: number;
  numHeads: number;
  numLayers: number;
  /** FFN width = round(dModel · ffnMultiplier). Default 4. */
  ffnMultiplier?: number;
  /**
   * A mechanism name in the registries (see {@link transformerRegistries}) and that mechanism's JSON
   * config; `mask` (optional) is a mask pattern applied through the mechanism's `mask` option (it needs
   * `capabilities.supportsMask`).
   */
  attention: { mechanism: string; config?: Record<string, unknown>; mask?: MaskPatternConfig };
  /** A registered encoding name (e.g. `rope`; `transformerRegistries().encodings.names()`) and its options. */
  positional: { encoding: string; config?: Record<string, unknown> };
  /** `'float'` (default) or `'bitnet'`: BitLinear b1.58 q/k/v/o and FFN projections. */
  projections?: 'float' | 'bitnet';
  /** Default `true` for `causal-lm` (which requires it), `false` for `classifier`. */
  causal?: boolean;
  /** Classifier only: how token states become one vector. Default `'mean'`. */
  pooling?: 'mean' | 'first';
  /**
   * Weights of the regularisers {@link TransformerModel.auxiliaryLoss} returns, by the key the mechanism
   * declares (`definition.regularization`), e.g. `spanPenalty`: λ of the adaptive-span ℓ1 penalty
   * (Sukhbaatar et al. 2019, https://arxiv.org/abs/1905.07799), default 2e-6 there. A key of another
   * mechanism is accepted with weight 0 only.
   */
  regularization?: Readonly<Record<string, number>>;
  seed: number;
}

/** A {@link ModelConfig} after {@link validateModelConfig}: every default filled in. */
export interface ResolvedModelConfig extends ModelConfig {
  ffnMultiplier: number;
  attention: { mechanism: string; config: Record<string, unknown>; mask?: MaskPatternConfig };
  positional: { encoding: string; config: Record<string, unknown> };
  projections: 'float' | 'bitnet';
  causal: boolean;
  regularization: Record<string, number>;
}

const FN = 'validateModelConfig';
// Every field of a ModelConfig, checked complete by the type (a missing or extra field fails to compile).
const CONFIG_FIELDS: Readonly<Record<keyof ModelConfig, true>> = {
  task: true,
  vocabSize: true,
  numClasses: true,
  maxSeqLen: true,
  dModel: true,
  numHeads: true,
  numLayers: true,
  ffnMultiplier: true,
  attention: true,
  positional: true,
  projections: true,
  causal: true,
  pooling: true,
  regularization: true,
  seed: true,
};
const CONFIG_KEYS = Object.keys(CONFIG_FIELDS);

const isRecord = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

function plainObject(parameter: string, value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new InvalidArgumentError(FN, parameter, 'a JSON object', value);
  return value;
}

function registered<T>(parameter: string, names: string[], lookup: () => T, name: unknown): T {
  if (typeof name !== 'string') {
    throw new InvalidArgumentError(FN, parameter, `a registered name (${names.join(', ')})`, name);
  }
  try {
    return lookup();
  } catch (e) {
    if (e instanceof RegistryError) {
      throw new InvalidArgumentError(FN, parameter, `a registered name (${names.join(', ')})`, name);
    }
    throw e;
  }
}

/**
 * Checks a {@link ModelConfig} and fills its defaults. Wrong types or values throw `InvalidArgumentError`
 * (naming the field, the expected and the received value); combinations that cannot work throw
 * `IncompatibleOptionsError` with a sentence: a causal model with a mechanism that cannot be causal
 * (Linformer, Nyströmformer), a bias encoding (ALiBi, T5) with a mechanism that takes no score modifier,
 * a mask with a mechanism that ignores masks, and fields that belong to the other task. The mechanism config
 * and the mask's parameters are checked against their definitions' option schemas (keys, types, ranges);
 * the encoding's options are checked by its factory when `createModel` runs. Pure (allocates no tensors).
 * Pre-norm Transformer: https://arxiv.org/abs/2002.04745.
 *
 * @example
 * ```ts
 * const config = validateModelConfig({ task: 'classifier', numClasses: 2, vocabSize: 16, maxSeqLen: 32,
 *   dModel: 16, numHeads: 2, numLayers: 1, attention: { mechanism: 'linformer' }, positional: { encoding: 'learned' }, seed: 0 });
 * config.causal; // false
 * validateModelConfig({ ...config, task: 'causal-lm', numClasses: undefined }); // throws: linformer cannot be causal
 * ```
 */
export function validateModelConfig(config: unknown): ResolvedModelConfig {
  const c = plainObject('config', config);
  assertKnownOptions(FN, c, CONFIG_KEYS, 'config');
  const { task } = c;
  if (task !== 'causal-lm' && task !== 'classifier') {
    throw new InvalidArgumentError(FN, 'config.task', "'causal-lm' or 'classifier'", task);
  }
  assertNumber(FN, 'config.vocabSize', c.vocabSize, { integer: true, min: 2 });
  if (task === 'classifier') {
    if (c.numClasses === undefined) {
      throw new InvalidArgumentError(
        FN,
        'config.numClasses',
        "an integer ≥ 2 (task 'classifier')",
        undefined,
      );
    }
    assertNumber(FN, 'config.numClasses', c.numClasses, { integer: true, min: 2 });
  } else {
    for (const key of ['numClasses', 'pooling'] as const) {
      if (c[key] !== undefined) {
        throw new IncompatibleOptionsError(
          FN,
          `\`${key}\` belongs to task 'classifier'; a 'causal-lm' predicts the next token over the vocabulary. Remove it or set task: 'classifier'.`,
        );
      }
    }
  }
  assertNumber(FN, 'config.maxSeqLen', c.maxSeqLen, { integer: true, min: 1 });
  assertNumber(FN, 'config.dModel', c.dModel, { integer: true, min: 1 });
  assertNumber(FN, 'config.numHeads', c.numHeads, { integer: true, min: 1 });
  if (c.dModel % c.numHeads !== 0) {
    throw new InvalidArgumentError(
      FN,
      'config.dModel',
      `a multiple of numHeads (${c.numHeads}), so that every head gets dModel / numHeads dimensions`,
      c.dModel,
    );
  }
  assertNumber(FN, 'config.numLayers', c.numLayers, { integer: true, min: 1 });
  const ffnMultiplier = c.ffnMultiplier ?? 4;
  assertNumber(FN, 'config.ffnMultiplier', ffnMultiplier, { positive: true });
  if (Math.round(c.dModel * ffnMultiplier) < 1) {
    throw new InvalidArgumentError(
      FN,
      'config.ffnMultiplier',
      `at least 1 / dModel (${1 / c.dModel})`,
      ffnMultiplier,
    );
  }
  assertNumber(FN, 'config.seed', c.seed, { integer: true });
  const projections = c.projections ?? 'float';
  if (projections !== 'float' && projections !== 'bitnet') {
    throw new InvalidArgumentError(FN, 'config.projections', "'float' or 'bitnet'", projections);
  }
  const causal = c.causal ?? task === 'causal-lm';
  if (typeof causal !== 'boolean') throw new InvalidArgumentError(FN, 'config.causal', 'a boolean', causal);
  if (task === 'causal-lm' && !causal) {
    throw new IncompatibleOptionsError(
      FN,
      "a 'causal-lm' learns to predict each next token, so its attention must be causal (non-causal attention would see the answer); set causal: true, or task: 'classifier'.",
    );
  }
  let pooling: 'mean' | 'first' | undefined;
  if (task === 'classifier') {
    pooling = (c.pooling ?? 'mean') as 'mean' | 'first';
    if (pooling !== 'mean' && pooling !== 'first') {
      throw new InvalidArgumentError(FN, 'config.pooling', "'mean' or 'first'", pooling);
    }
  }

  const { mechanisms, encodings, patterns } = transformerRegistries();
  const attention = plainObject('config.attention', c.attention);
  assertKnownOptions(FN, attention, ['mechanism', 'config', 'mask'], 'config.attention');
  const mechanism = registered(
    'config.attention.mechanism',
    mechanisms.names(),
    () => mechanisms.get(attention.mechanism as string),
    attention.mechanism,
  );
  const mechanismConfig = plainObject('config.attention.config', attention.config ?? {});
  // The definition says what a valid config is (its option schema, plus its own cross-key checks).
  resolveMechanismConfig(mechanism, mechanismConfig, FN, 'config.attention.config');
  let mask: MaskPatternConfig | undefined;
  if (attention.mask !== undefined) {
    const m = plainObject('config.attention.mask', attention.mask);
    const spec = registered(
      'config.attention.mask.pattern',
      patterns.names(),
      () => patterns.get(m.pattern as string),
      m.pattern,
    );
    const { pattern: _name, ...params } = m;
    resolveOptions(FN, 'config.attention.mask', spec.options, params);
    mask = m as MaskPatternConfig;
  }
  const positional = plainObject('config.positional', c.positional);
  assertKnownOptions(FN, positional, ['encoding', 'config'], 'config.positional');
  const encoding = registered(
    'config.positional.encoding',
    encodings.names(),
    () => encodings.get(positional.encoding as string),
    positional.encoding,
  );
  const encodingConfig = plainObject('config.positional.config', positional.config ?? {});

  const caps: MechanismCapabilities = mechanism.capabilities;
  // Alternatives named in errors come from the registries' capabilities, never from a hard-coded list.
  const mechanismsWhere = (ok: (c: MechanismCapabilities) => boolean) =>
    mechanisms
      .list()
      .filter((d) => ok(d.capabilities))
      .map((d) => d.name)
      .join(', ');
  const unbiasedEncodings = encodings
    .list()
    .filter((e) => e.capabilities.kind !== 'bias')
    .map((e) => e.name)
    .join(', ');
  const name = mechanism.name;
  if (causal && caps.requiresFixedLength) {
    throw new IncompatibleOptionsError(
      FN,
      `'${name}' projects the whole fixed-length sequence (capabilities.requiresFixedLength), which mixes future tokens into every key, so it cannot be causal; use it in a 'classifier' with causal: false, or pick a causal mechanism (${mechanismsWhere((m) => m.supportsCausal && !m.requiresFixedLength)}).`,
    );
  }
  if (causal && !caps.supportsCausal) {
    throw new IncompatibleOptionsError(
      FN,
      `'${name}' does not support causal attention (capabilities.supportsCausal is false); use it in a 'classifier' with causal: false, or pick a causal mechanism (${mechanismsWhere((m) => m.supportsCausal && !m.requiresFixedLength)}).`,
    );
  }
  if (encoding.capabilities.kind === 'bias' && !caps.supportsScoreMod) {
    throw new IncompatibleOptionsError(
      FN,
      `the '${encoding.name}' encoding adds a bias to attention scores, but '${name}' never forms the scores a bias acts on (capabilities.supportsScoreMod is false); pick an encoding that adds no bias (${unbiasedEncodings}) or a mechanism that takes score modifiers (${mechanismsWhere((m) => m.supportsScoreMod)}).`,
    );
  }
  if (mask !== undefined && !caps.supportsMask) {
    throw new IncompatibleOptionsError(
      FN,
      `the mask '${mask.pattern}' needs a mechanism that takes masks, but '${name}' ignores them (capabilities.supportsMask is false); use a mechanism that takes masks (${mechanismsWhere((m) => m.supportsMask)}) instead.`,
    );
  }
  // Regularisers are declared by mechanisms (definition.regularization): every key any registered mechanism
  // declares is valid, with weight 0 unless the chosen mechanism declares it.
  const regularization = plainObject('config.regularization', c.regularization ?? {});
  const regularizers = new Map(
    mechanisms
      .list()
      .flatMap((d) =>
        d.regularization === undefined ? [] : [[d.regularization.key, d.regularization] as const],
      ),
  );
  assertKnownOptions(FN, regularization, [...regularizers.keys()], 'config.regularization');
  const own = mechanism.regularization;
  const weights: Record<string, number> = {};
  for (const key of regularizers.keys()) {
    const given = regularization[key];
    if (given !== undefined && given !== 0 && key !== own?.key) {
      throw new IncompatibleOptionsError(
        FN,
        `\`regularization.${key}\` is ${regularizers.get(key)!.description}, and '${name}' has none; remove it, or use a mechanism that declares it (${mechanisms
          .list()
          .filter((d) => d.regularization?.key === key)
          .map((d) => `'${d.name}'`)
          .join(', ')}).`,
      );
    }
    const weight = given ?? (key === own?.key ? own.defaultWeight : 0);
    assertNumber(FN, `config.regularization.${key}`, weight, { min: 0 });
    weights[key] = weight;
  }

  return {
    task,
    vocabSize: c.vocabSize,
    ...(task === 'classifier' ? { numClasses: c.numClasses as number, pooling } : {}),
    maxSeqLen: c.maxSeqLen,
    dModel: c.dModel,
    numHeads: c.numHeads,
    numLayers: c.numLayers,
    ffnMultiplier,
    attention: {
      mechanism: name,
      config: { ...mechanismConfig },
      ...(mask === undefined ? {} : { mask: { ...mask } }),
    },
    positional: { encoding: encoding.name, config: { ...encodingConfig } },
    projections,
    causal,
    regularization: weights,
    seed: c.seed,
  };
}
