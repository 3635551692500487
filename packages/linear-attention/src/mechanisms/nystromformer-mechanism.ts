import {
  defineCapabilities,
  defineOptions,
  InvalidArgumentError,
  type MechanismDefinition,
  paper,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { nystromAttention } from '../nystrom-attention.js';
import { checkApplyOptions } from './apply-options.js';
import { resolveConfig } from './mechanism-config.js';

/** Config of the `nystromformer` mechanism. */
export interface NystromformerConfig {
  /** Landmarks m. Default 64. */
  numLandmarks: number;
  /** Pseudo-inverse iterations. Default 6. */
  pinvIterations: number;
  /** Kernel of the depthwise-conv skip on v (odd), or 0 for none. Default 33 (the paper's code). */
  convKernelSize: number;
}

const NAME = 'nystromformer';

/**
 * `nystromformer` (Xiong et al. 2021, https://arxiv.org/abs/2102.03902): Nyström approximation of softmax
 * attention with segment-mean landmarks, plus a trainable depthwise-conv skip on v. The conv kernel starts
 * at zero, so a new layer computes plain Nyström attention and learns the skip from there (the paper's code
 * uses PyTorch's default init instead).
 *
 * @example
 * ```ts
 * const layer = nystromformerMechanism.create({ numLandmarks: 32 }, { seed: 0, heads: 8, headDim: 64 });
 * ```
 */
export const nystromformerMechanism: MechanismDefinition<NystromformerConfig> = {
  name: NAME,
  title: 'Nyströmformer',
  paper: paper(
    'Nyströmformer: A Nyström-Based Algorithm for Approximating Self-Attention',
    'Xiong et al.',
    2021,
    'https://arxiv.org/abs/2102.03902',
    'AAAI',
  ),
  description:
    'Nyströmformer: softmax attention through m segment-mean landmarks and an iterative pseudo-inverse, O(N·m).',
  capabilities: defineCapabilities({
    family: 'low-rank',
    accuracy: {
      kind: 'approximate',
      tolerance: 0.65,
      bound:
        'Measured, default m = 64 landmarks, 6 pinv iterations, conv skip at its zero init, at the conformance shape ' +
        '(heads 2, N 128, d 16, unit-normal inputs): relative error ≤ 0.48 over 12 seeds; 0.65 leaves margin. It falls ' +
        'with more landmarks and reaches 0 at m = N with a converged pseudo-inverse.',
    },
    supportsCausal: false,
    supportsMask: false,
    supportsScoreMod: false,
    supportsCrossAttention: true,
    supportsGroupedQuery: true,
    requiresFixedLength: false,
    timeComplexity: 'O(N·m·d)',
    memoryComplexity: 'O(N·m)',
    trainableParameters: true,
  }),
  options: defineOptions({
    numLandmarks: {
      type: 'number',
      integer: true,
      min: 1,
      default: 64,
      description: 'Landmarks m: segment means of the queries and keys (capped at the sequence length).',
    },
    pinvIterations: {
      type: 'number',
      integer: true,
      min: 1,
      default: 6,
      description:
        'Iterations of the Newton–Schulz pseudo-inverse of the m × m landmark kernel (the paper uses 6).',
    },
    convKernelSize: {
      type: 'number',
      integer: true,
      min: 0,
      default: 33,
      description:
        'Odd kernel width of the depthwise-conv skip on v, or 0 for none (33 in the paper’s code).',
    },
  }),
  defaultConfig: { numLandmarks: 64, pinvIterations: 6, convKernelSize: 33 },
  create: (config, context) => {
    const fn = `${NAME}.create`;
    const c = resolveConfig(nystromformerMechanism, config, fn);
    const kernel = c.convKernelSize;
    // Oddness is beyond the schema: a centred kernel needs an odd width.
    if (!Number.isInteger(kernel) || kernel < 0 || (kernel > 0 && kernel % 2 === 0)) {
      throw new InvalidArgumentError(
        fn,
        'config.convKernelSize',
        '0 (no skip) or an odd integer ≥ 1',
        kernel,
      );
    }
    // tf.variable copies its initial value: the zeros are disposed at once (they were left behind).
    const conv = kernel > 0 ? tf.tidy(() => tf.variable(tf.zeros([context.heads, kernel]), true)) : undefined;
    const params: Record<string, tf.Variable> = conv === undefined ? {} : { conv };
    return {
      params,
      apply: (q, k, v, options) => {
        checkApplyOptions(NAME, options, {
          causal: false,
          why: 'each landmark averages a whole segment, future tokens included.',
        });
        return nystromAttention(q, k, v, {
          numLandmarks: c.numLandmarks,
          pinvIterations: c.pinvIterations,
          ...(conv === undefined ? {} : { convWeights: conv }),
        });
      },
      dispose: () => conv?.dispose(),
    };
  },
};
