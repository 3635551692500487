import {
  defineCapabilities,
  defineOptions,
  InvalidArgumentError,
  type MechanismDefinition,
  type MechanismInstance,
  paper,
} from '@efficient-attention/core';
import {
  createLinformerProjections,
  LINFORMER_SHARING,
  type LinformerProjections,
  type LinformerSharing,
  linformerAttention,
} from '../linformer.js';
import { checkApplyOptions } from './apply-options.js';
import { configChecker, resolveConfig } from './mechanism-config.js';

/** Config of the `linformer` mechanism. */
export interface LinformerConfig {
  /** k, the projected length. Default 256 (capped at the sequence length). */
  projectedLength: number;
  /** Parameter sharing. Default `'headwise'`. */
  sharing: LinformerSharing;
  /**
   * Projections to reuse instead of creating new ones: layerwise sharing passes the first layer's
   * `instance.projections` to every later layer. The instance then does not dispose them.
   */
  projections?: LinformerProjections;
}

/** A created Linformer: exposes its projections so that other layers can share them. */
export interface LinformerInstance extends MechanismInstance {
  readonly projections: LinformerProjections;
}

const NAME = 'linformer';

/** The JSON-describable keys; `projections` (an object) is checked by `checkConfig`. */
const linformerOptions = defineOptions({
  projectedLength: {
    type: 'number',
    integer: true,
    min: 1,
    default: 256,
    description:
      'k, the projected length of keys and values (capped at the sequence length; the paper uses 128 or 256).',
  },
  sharing: {
    type: 'enum',
    values: LINFORMER_SHARING,
    default: 'headwise',
    description:
      "Parameter sharing of E, F (paper §4): 'none' per head, 'headwise', 'key-value' (E = F), or 'layerwise' " +
      '(pass the first layer’s `instance.projections` as the `projections` config of later layers).',
  },
});

/** `projections`: a `LinformerProjections` object from another instance. */
function checkProjections(fn: string, parameter: string, value: unknown): void {
  const p = value as Partial<LinformerProjections> | null;
  if (
    p === null ||
    typeof p !== 'object' ||
    typeof p.seqLen !== 'number' ||
    typeof p.variables !== 'object'
  ) {
    throw new InvalidArgumentError(fn, parameter, 'the `projections` of another linformer instance', value);
  }
}

/**
 * `linformer` (Wang et al. 2020, https://arxiv.org/abs/2006.04768): keys and values projected along the
 * sequence to k rows by trainable E, F; needs `context.seqLen` and that length at every call; not causal.
 *
 * @example
 * ```ts
 * const first = linformerMechanism.create({ sharing: 'layerwise' }, { seed: 0, heads: 8, headDim: 64, seqLen: 1024 }) as LinformerInstance;
 * const second = linformerMechanism.create({ projections: first.projections }, { seed: 1, heads: 8, headDim: 64, seqLen: 1024 });
 * ```
 */
export const linformerMechanism: MechanismDefinition<LinformerConfig> = {
  name: NAME,
  title: 'Linformer',
  paper: paper(
    'Linformer: Self-Attention with Linear Complexity',
    'Wang, Li, Khabsa, Fang, Ma',
    2020,
    'https://arxiv.org/abs/2006.04768',
    'arXiv',
  ),
  description:
    'Linformer: keys and values projected along the sequence to k rows by learned E, F; O(N·k), fixed length.',
  capabilities: defineCapabilities({
    family: 'low-rank',
    accuracy: {
      kind: 'different',
      note:
        'With freshly initialised E, F every projected key mixes all keys, so it is not close to softmax attention; ' +
        "the paper's low-rank bound (Theorem 2) holds for suitable, trained projections.",
    },
    supportsCausal: false,
    supportsMask: false,
    supportsScoreMod: false,
    supportsCrossAttention: true,
    supportsGroupedQuery: true,
    requiresFixedLength: true,
    timeComplexity: 'O(N·k·d)',
    memoryComplexity: 'O(N·k)',
    trainableParameters: true,
  }),
  options: linformerOptions,
  defaultConfig: { projectedLength: 256, sharing: 'headwise' },
  checkConfig: configChecker(linformerOptions, { projections: checkProjections }),
  create: (config, context): LinformerInstance => {
    const c = resolveConfig(linformerMechanism, config, `${NAME}.create`);
    const seqLen = context.seqLen;
    if (seqLen === undefined) {
      throw new InvalidArgumentError(
        `${NAME}.create`,
        'context.seqLen',
        'the fixed sequence length (Linformer projects along the sequence)',
        seqLen,
      );
    }
    const owned = c.projections === undefined;
    const projections =
      c.projections ??
      createLinformerProjections({
        seqLen,
        projectedLength: Math.min(c.projectedLength, seqLen),
        heads: context.heads,
        sharing: c.sharing,
        seed: context.seed,
      });
    return {
      projections,
      params: projections.variables,
      apply: (q, k, v, options) => {
        checkApplyOptions(NAME, options, {
          causal: false,
          why: 'E and F mix every position, future ones included, into every projected key and value.',
        });
        return linformerAttention(q, k, v, projections);
      },
      dispose: () => {
        if (owned) projections.dispose();
      },
    };
  },
};
