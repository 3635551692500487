import {
  assertKnownOptions,
  defineCapabilities,
  type MechanismCapabilities,
  type MechanismDefinition,
  validateAttentionInputs,
} from '@efficient-attention/core';
import { prepareFeatureMap } from '../apply-feature-map.js';
import { eluPlusOne, type FeatureMap, favorPlus, relu } from '../feature-maps.js';
import { DEFAULT_CHUNK_SIZE, resolveLinearOptions, runLinearAttention } from '../linear-attention.js';
import { checkApplyOptions, checkHeadDim } from './apply-options.js';

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

function linearDefinition<C extends LinearMechanismConfig>(spec: {
  name: string;
  description: string;
  capabilities: MechanismCapabilities;
  defaultConfig: C;
  featureMap: (config: C, seed: number) => FeatureMap;
}): MechanismDefinition<C> {
  return {
    name: spec.name,
    description: spec.description,
    capabilities: spec.capabilities,
    defaultConfig: spec.defaultConfig,
    create: (config, context) => {
      assertKnownOptions(`${spec.name}.create`, config, Object.keys(spec.defaultConfig));
      const c = { ...spec.defaultConfig, ...config } as C;
      resolveLinearOptions(`${spec.name}.create`, { chunkSize: c.chunkSize });
      const prepared = prepareFeatureMap(spec.featureMap(c, context.seed), context.headDim);
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
        dispose: () => {},
      };
    },
  };
}

/**
 * `linear-elu`: linear attention with φ = elu + 1 (Katharopoulos et al. 2020, https://arxiv.org/abs/2006.16236).
 * A different attention function (kernel φ(q)·φ(k) instead of exp(q·k/√d)), O(N) in time and memory.
 *
 * @example
 * ```ts
 * const layer = linearEluMechanism.create({}, { seed: 0, heads: 8, headDim: 64 });
 * const out = layer.apply(q, k, v, { causal: true });
 * ```
 */
export const linearEluMechanism: MechanismDefinition<LinearMechanismConfig> = linearDefinition({
  name: 'linear-elu',
  description:
    'Linear attention with the elu(x) + 1 feature map: O(N), causal by prefix sums, a recurrent state for decoding.',
  capabilities: defineCapabilities({
    ...linearCommon,
    accuracy: {
      kind: 'different',
      note: 'Uses the kernel (elu(q)+1)·(elu(k)+1) instead of exp(q·k/√d): another attention function, not an approximation of softmax.',
    },
    timeComplexity: 'O(N·d²)',
    memoryComplexity: 'O(N·d + d²)',
    paper: 'https://arxiv.org/abs/2006.16236',
  }),
  defaultConfig: { chunkSize: DEFAULT_CHUNK_SIZE },
  featureMap: () => eluPlusOne(),
});

/**
 * `linear-relu`: linear attention with φ = ReLU (a common linear-attention kernel; Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236). Rows with no overlap give zeros.
 *
 * @example
 * ```ts
 * const layer = linearReluMechanism.create({}, { seed: 0, heads: 8, headDim: 64 });
 * ```
 */
export const linearReluMechanism: MechanismDefinition<LinearMechanismConfig> = linearDefinition({
  name: 'linear-relu',
  description: 'Linear attention with the ReLU feature map: O(N), causal by prefix sums.',
  capabilities: defineCapabilities({
    ...linearCommon,
    accuracy: {
      kind: 'different',
      note: 'Uses the kernel relu(q)·relu(k) instead of exp(q·k/√d): another attention function, not an approximation of softmax.',
    },
    timeComplexity: 'O(N·d²)',
    memoryComplexity: 'O(N·d + d²)',
    paper: 'https://arxiv.org/abs/2006.16236',
  }),
  defaultConfig: { chunkSize: DEFAULT_CHUNK_SIZE },
  featureMap: () => relu(),
});

/**
 * `performer`: FAVOR+ (Choromanski et al. 2020, https://arxiv.org/abs/2009.14794): linear attention with
 * positive orthogonal random features, an unbiased approximation of softmax attention; W is drawn once, at
 * creation, from the context seed and `config.redraw`.
 *
 * @example
 * ```ts
 * const layer = performerMechanism.create({ numFeatures: 256 }, { seed: 7, heads: 8, headDim: 64 });
 * ```
 */
export const performerMechanism: MechanismDefinition<PerformerConfig> = linearDefinition({
  name: 'performer',
  description:
    'Performer (FAVOR+): softmax attention approximated by m positive orthogonal random features, O(N·m).',
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
    paper: 'https://arxiv.org/abs/2009.14794',
  }),
  defaultConfig: {
    chunkSize: DEFAULT_CHUNK_SIZE,
    numFeatures: 'auto',
    orthogonal: true,
    redraw: 0,
    stabilize: true,
  },
  featureMap: (c, seed) =>
    favorPlus({
      numFeatures: c.numFeatures,
      orthogonal: c.orthogonal,
      redraw: c.redraw,
      stabilize: c.stabilize,
      seed,
    }),
});
