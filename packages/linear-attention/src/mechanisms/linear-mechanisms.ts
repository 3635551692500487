import {
  type BenchmarkCapability,
  type DecodingPlan,
  defineCapabilities,
  defineOptions,
  InvalidArgumentError,
  type MechanismCapabilities,
  type MechanismDefinition,
  type OptionSchema,
  type PaperReference,
  paper,
  validateAttentionInputs,
} from '@efficient-attention/core';
import { prepareFeatureMap } from '../apply-feature-map.js';
import { eluPlusOne, type FeatureMap, favorPlus, relu } from '../feature-maps.js';
import { DEFAULT_CHUNK_SIZE, resolveLinearOptions, runLinearAttention } from '../linear-attention.js';
import { checkApplyOptions, checkHeadDim } from './apply-options.js';
import { createLinearAttentionDecoder } from './linear-decoder.js';
import { configChecker, resolveConfig } from './mechanism-config.js';

/** Config of the `linear-elu` and `linear-relu` mechanisms. */
export interface LinearMechanismConfig {
  /** Positions per chunk of the causal scan. Default 128. */
  chunkSize: number;
}

/** Config of the `performer` mechanism (FAVOR+; the seed comes from the mechanism context). */
export interface PerformerConfig extends LinearMechanismConfig {
  /** Random features m, or `'auto'` (⌈d·ln d⌉). */
  numFeatures: number | 'auto';
  orthogonal: boolean;
  /** Redraw index of the features (bump it to redraw, e.g. every 1000 training steps). */
  redraw: number;
  stabilize: boolean;
}

const linearCommon = {
  family: 'linear',
  supportsCausal: true,
  supportsMask: false,
  supportsScoreMod: false,
  supportsCrossAttention: true,
  supportsGroupedQuery: true,
  requiresFixedLength: false,
  trainableParameters: false,
} as const;

const KATHAROPOULOS_2020 = paper(
  'Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention',
  'Katharopoulos, Vyas, Pappas, Fleuret',
  2020,
  'https://arxiv.org/abs/2006.16236',
  'ICML',
);

const chunkSizeOption = {
  type: 'number',
  integer: true,
  min: 1,
  default: DEFAULT_CHUNK_SIZE,
  description: 'Positions per chunk of the causal prefix-sum scan (memory O(chunk²) per head, same result).',
} as const;

/** A non-causal layer decodes by recomputing: a new token changes every earlier output. */
const RECOMPUTE: DecodingPlan = Object.freeze({ kind: 'recompute' });

/** The longest N the inference-scaling experiment times the linear mechanisms at (its full preset). */
const BENCHMARK_MAX_LENGTH = 16384;

function linearDefinition<C extends LinearMechanismConfig>(spec: {
  name: string;
  title: string;
  description: string;
  paper: PaperReference;
  capabilities: MechanismCapabilities;
  options: OptionSchema;
  defaultConfig: C;
  checkConfig?: MechanismDefinition<C>['checkConfig'];
  benchmark?: BenchmarkCapability;
  featureMap: (config: C, seed: number) => FeatureMap;
}): MechanismDefinition<C> {
  const { featureMap: makeFeatureMap, ...metadata } = spec;
  const definition: MechanismDefinition<C> = {
    ...metadata,
    create: (config, context) => {
      const c = resolveConfig(definition, config, `${spec.name}.create`);
      const featureMap = makeFeatureMap(c, context.seed);
      const prepared = prepareFeatureMap(featureMap, context.headDim);
      return {
        params: {},
        apply: (q, k, v, options) => {
          const causal = checkApplyOptions(spec.name, options, { causal: true });
          const dims = validateAttentionInputs(`${spec.name}.apply`, q, k, v);
          checkHeadDim(spec.name, q, context.headDim);
          return runLinearAttention(
            prepared,
            q,
            k,
            v,
            dims,
            resolveLinearOptions(spec.name, { causal, chunkSize: c.chunkSize }),
          );
        },
        // Causal: the running state of §3.4 with this instance's own feature map (for FAVOR+ the same W,
        // drawn from the same seed and redraw), so decoding token by token equals the causal forward.
        decoding: ({ causal }) =>
          causal
            ? {
                kind: 'recurrent',
                createDecoder: ({ batch, heads, headDim }) => {
                  if (headDim !== context.headDim) {
                    throw new InvalidArgumentError(
                      `${spec.name}.decoding`,
                      'shape.headDim',
                      `${context.headDim} (the context.headDim the mechanism was created with)`,
                      headDim,
                    );
                  }
                  return createLinearAttentionDecoder({ featureMap, batch, heads, headDim });
                },
              }
            : RECOMPUTE,
        dispose: () => {},
      };
    },
  };
  return definition;
}

/**
 * `linear-elu`: linear attention with φ = elu + 1 (Katharopoulos et al. 2020, https://arxiv.org/abs/2006.16236).
 * A different attention function (kernel φ(q)·φ(k) instead of exp(q·k/√d)), O(N) in time and memory.
 * Causal decoding is recurrent (a running state, O(1) per token); timed by the inference-scaling experiment
 * up to N = 16384.
 *
 * @example
 * ```ts
 * const layer = linearEluMechanism.create({}, { seed: 0, heads: 8, headDim: 64 });
 * const out = layer.apply(q, k, v, { causal: true });
 * ```
 */
export const linearEluMechanism: MechanismDefinition<LinearMechanismConfig> = linearDefinition({
  name: 'linear-elu',
  title: 'Linear (elu + 1)',
  description:
    'Linear attention with the elu(x) + 1 feature map: O(N), causal by prefix sums, a recurrent state for decoding.',
  paper: KATHAROPOULOS_2020,
  capabilities: defineCapabilities({
    ...linearCommon,
    accuracy: {
      kind: 'different',
      note: 'Uses the kernel (elu(q)+1)·(elu(k)+1) instead of exp(q·k/√d): another attention function, not an approximation of softmax.',
    },
    timeComplexity: 'O(N·d²)',
    memoryComplexity: 'O(N·d + d²)',
  }),
  options: defineOptions({ chunkSize: chunkSizeOption }),
  defaultConfig: { chunkSize: DEFAULT_CHUNK_SIZE },
  benchmark: Object.freeze({ maxLength: BENCHMARK_MAX_LENGTH }),
  featureMap: () => eluPlusOne(),
});

/**
 * `linear-relu`: linear attention with φ = ReLU (a common linear-attention kernel; Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236). Rows with no overlap give zeros. Causal decoding is recurrent.
 *
 * @example
 * ```ts
 * const layer = linearReluMechanism.create({}, { seed: 0, heads: 8, headDim: 64 });
 * ```
 */
export const linearReluMechanism: MechanismDefinition<LinearMechanismConfig> = linearDefinition({
  name: 'linear-relu',
  title: 'Linear (ReLU)',
  description: 'Linear attention with the ReLU feature map: O(N), causal by prefix sums.',
  paper: KATHAROPOULOS_2020,
  capabilities: defineCapabilities({
    ...linearCommon,
    accuracy: {
      kind: 'different',
      note: 'Uses the kernel relu(q)·relu(k) instead of exp(q·k/√d): another attention function, not an approximation of softmax.',
    },
    timeComplexity: 'O(N·d²)',
    memoryComplexity: 'O(N·d + d²)',
  }),
  options: defineOptions({ chunkSize: chunkSizeOption }),
  defaultConfig: { chunkSize: DEFAULT_CHUNK_SIZE },
  featureMap: () => relu(),
});

const performerOptions = defineOptions({
  chunkSize: chunkSizeOption,
  numFeatures: {
    // The schema has no "number or 'auto'" type: checkConfig also accepts an integer ≥ 1.
    type: 'enum',
    values: ['auto'],
    default: 'auto',
    description:
      "Random features m: an integer ≥ 1, or 'auto' for ⌈d·ln d⌉ (the paper's choice, Theorem 4). The error falls as ~1/√m.",
  },
  orthogonal: {
    type: 'boolean',
    default: true,
    description:
      'Draw the feature directions block-orthogonal (lower variance than i.i.d., the paper’s ORF).',
  },
  redraw: {
    type: 'number',
    integer: true,
    min: 0,
    default: 0,
    description: 'Redraw index of the features: bump it to draw new ones (e.g. every 1000 training steps).',
  },
  stabilize: {
    type: 'boolean',
    default: true,
    description:
      'Subtract the running max of the exponents (it cancels in the normalisation) so exp never overflows.',
  },
});

/** `numFeatures`: `'auto'` or an integer ≥ 1. */
function checkNumFeatures(fn: string, parameter: string, value: unknown): void {
  if (value === 'auto') return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(fn, parameter, "an integer ≥ 1 or 'auto'", value);
  }
}

/**
 * `performer`: FAVOR+ (Choromanski et al. 2021, https://arxiv.org/abs/2009.14794): linear attention with
 * positive orthogonal random features, an unbiased approximation of softmax attention; W is drawn once, at
 * creation, from the context seed and `config.redraw`. Causal decoding is recurrent with the same W; timed
 * by the inference-scaling experiment up to N = 16384 with m = 64 features.
 *
 * @example
 * ```ts
 * const layer = performerMechanism.create({ numFeatures: 256 }, { seed: 7, heads: 8, headDim: 64 });
 * ```
 */
export const performerMechanism: MechanismDefinition<PerformerConfig> = linearDefinition({
  name: 'performer',
  title: 'Performer (FAVOR+)',
  description:
    'Performer (FAVOR+): softmax attention approximated by m positive orthogonal random features, O(N·m).',
  paper: paper(
    'Rethinking Attention with Performers',
    'Choromanski et al.',
    2021,
    'https://arxiv.org/abs/2009.14794',
    'ICLR',
  ),
  capabilities: defineCapabilities({
    ...linearCommon,
    accuracy: {
      kind: 'approximate',
      tolerance: 2.5,
      bound:
        'Measured, default m = ⌈d·ln d⌉ = 45 at the conformance shape (heads 2, N 128, d 16, unit-normal q, k, v): ' +
        'relative error ≤ 1.84 non-causal, ≤ 1.26 causal over 12 seeds; 2.5 leaves margin. Unbiased but with variance ' +
        '∝ exp(‖q+k‖²/√d) (paper, Lemma 2), so loose on unit-normal inputs; at ‖q‖²/√d ≈ 2 (d 64) it is 0.40 at m = 256, ~1/√m.',
    },
    timeComplexity: 'O(N·m·d)',
    memoryComplexity: 'O(N·m + m·d)',
  }),
  options: performerOptions,
  defaultConfig: {
    chunkSize: DEFAULT_CHUNK_SIZE,
    numFeatures: 'auto',
    orthogonal: true,
    redraw: 0,
    stabilize: true,
  },
  checkConfig: configChecker(performerOptions, { numFeatures: checkNumFeatures }),
  // The inference-scaling experiment times m = 64 features (apps/experiments/src/presets.ts).
  benchmark: Object.freeze({ maxLength: BENCHMARK_MAX_LENGTH, config: () => ({ numFeatures: 64 }) }),
  featureMap: (c, seed) =>
    favorPlus({
      numFeatures: c.numFeatures,
      orthogonal: c.orthogonal,
      redraw: c.redraw,
      stabilize: c.stabilize,
      seed,
    }),
});
