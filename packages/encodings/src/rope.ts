import {
  assertKnownOptions,
  assertLiveTensor,
  assertNumber,
  defineOptions,
  IncompatibleOptionsError,
  InvalidArgumentError,
  paper,
  type RopeLayout,
  ropeKernel,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { defineEncoding, withContext } from './encoding-definition.js';
import { PositionTableCache } from './position-table-cache.js';
import { type ResolvedPositions, resolvePositions } from './positions.js';
import { requireOptions } from './require-options.js';
import { computeFrequencies, type RopeScaling } from './rope-frequencies.js';
import type { Positions, RotaryApplyOptions, RotaryEncoding, RotateOptions } from './types.js';
import { assertXposRange, resolveXpos, type Xpos, type XposOptions } from './xpos.js';

/** Options of {@link rope}. */
export interface RopeOptions {
  /** Query/key width per head (even). */
  headDim: number;
  /** Rotated dimensions (even, ≤ headDim); the rest pass through (GPT-NeoX's `rotary_pct`). Default `headDim`. */
  rotaryDim?: number;
  /** The wavelength base (`rope_theta`). Default `10000`. */
  base?: number;
  /**
   * Which dimensions form the rotated pairs. Default `'half-split'` (i, i + rotaryDim/2): GPT-NeoX, and
   * LLaMA/Mistral/Qwen in Hugging Face transformers. `'interleaved'` (2i, 2i + 1): RoFormer, GPT-J, Meta's
   * reference LLaMA code. Checkpoints must be used with the layout they were trained with.
   */
  layout?: RopeLayout;
  /** Context extension: position interpolation, NTK-aware or YaRN. Default none. */
  scaling?: RopeScaling;
  /** xPos decay (`true` for the defaults, or its options). Default `false`. */
  xpos?: boolean | XposOptions;
}

const FN = 'rope';
const OPTION_KEYS = ['headDim', 'rotaryDim', 'base', 'layout', 'scaling', 'xpos'] as const;

type Role = 'query' | 'key';

/**
 * Rotary position embedding (RoPE, Su et al. 2021: https://arxiv.org/abs/2104.09864): each pair of
 * dimensions of q and k is rotated by the angle p·θ_i of its position p, so that ⟨rope(q, m), rope(k, n)⟩
 * depends on the positions only through m − n. Supports partial rotation (`rotaryDim`), both pair
 * layouts, explicit positions and offsets for KV caches, context extension (`scaling`: PI, NTK-aware,
 * YaRN) and xPos. With xPos, `rotate` needs `role: 'query' | 'key'` (xPos scales the two oppositely, so a
 * missing role throws); without xPos the role changes nothing and may be left out. `apply` knows which is which.
 *
 * Tables: cos and sin of every (position, pair) are computed in float64 once and cached as float32
 * tensors per backend, growing by doubling with the largest position seen; `dispose()` frees them.
 * Each call slices (offset) or gathers (explicit positions) its rows and runs core's `EARope` kernel
 * contract, so a backend that registers a fused kernel is used automatically, in training too (the kernel's
 * registered gradient is the rotation by −θ through the same kernel). Gradients flow to q and k.
 *
 * @example
 * ```ts
 * const enc = rope({ headDim: 64, scaling: { type: 'yarn', factor: 4, originalMaxLength: 4096 } });
 * const { q: qr, k: kr } = enc.apply(q, k); // q, k: [batch, heads, seq, 64]
 * // Decoding with a KV cache: rotate the new token at its absolute position.
 * const step = enc.apply(qNew, kNew, { positions: cacheLength });
 * enc.dispose();
 * ```
 */
export function rope(options: RopeOptions): RotaryEncoding {
  requireOptions(FN, options, OPTION_KEYS, '`headDim`');
  const {
    headDim,
    rotaryDim = headDim,
    base = 10000,
    layout = 'half-split',
    scaling,
    xpos = false,
  } = options;
  assertNumber(FN, 'options.headDim', headDim, { integer: true, min: 2 });
  if (headDim % 2 !== 0) {
    throw new InvalidArgumentError(
      FN,
      'options.headDim',
      'an even integer (RoPE rotates pairs of dimensions)',
      headDim,
    );
  }
  assertNumber(FN, 'options.rotaryDim', rotaryDim, { integer: true, min: 2 });
  if (rotaryDim > headDim || rotaryDim % 2 !== 0) {
    throw new InvalidArgumentError(
      FN,
      'options.rotaryDim',
      `an even integer ≤ headDim (${headDim})`,
      rotaryDim,
    );
  }
  if (layout !== 'half-split' && layout !== 'interleaved') {
    throw new InvalidArgumentError(FN, 'options.layout', "'half-split' or 'interleaved'", layout);
  }
  const { inverseFrequencies, attentionFactor } = computeFrequencies(FN, 'options', rotaryDim, base, scaling);
  if (typeof xpos !== 'boolean' && (xpos === null || typeof xpos !== 'object')) {
    throw new InvalidArgumentError(FN, 'options.xpos', 'a boolean or an options object', xpos);
  }
  const xp: Xpos | undefined = xpos === false ? undefined : resolveXpos(FN, rotaryDim, xpos);

  const pairs = rotaryDim / 2;
  const tables = (role: Role) => {
    const amplitude = (i: number, p: number) =>
      attentionFactor * (xp === undefined ? 1 : xp.amplitude(i, p, role));
    const make = (trig: 'cos' | 'sin') =>
      new PositionTableCache(pairs, (p, row) => {
        for (let i = 0; i < pairs; i++) {
          const angle = p * inverseFrequencies[i]!;
          row[i] = amplitude(i, p) * (trig === 'cos' ? Math.cos(angle) : Math.sin(angle));
        }
      });
    return { cos: make('cos'), sin: make('sin') };
  };
  const queryTables = tables('query');
  // Without xPos, queries and keys share one set of tables.
  const keyTables = xp === undefined ? queryTables : tables('key');

  const checkInput = (fn: string, name: string, x: tf.Tensor): void => {
    assertLiveTensor(fn, name, x);
    const ok = x instanceof tf.Tensor && x.rank === 4 && x.shape[3] === headDim && x.size > 0;
    if (!ok)
      throw new InvalidArgumentError(fn, name, `a non-empty tensor [batch, heads, seq, ${headDim}]`, x);
    if (x.dtype !== 'float32') throw new InvalidArgumentError(fn, `${name}.dtype`, '"float32"', x.dtype);
  };
  const resolve = (fn: string, parameter: string, positions: Positions | undefined, rows: number) => {
    const resolved = resolvePositions(fn, parameter, positions, rows);
    if (xp !== undefined) assertXposRange(fn, parameter, xp, resolved.max);
    return resolved;
  };
  const tableRows = (role: Role, positions: ResolvedPositions) => {
    const t = role === 'query' ? queryTables : keyTables;
    return { cos: t.cos.rows(positions), sin: t.sin.rows(positions) };
  };
  const run = (x: tf.Tensor, rows: { cos: tf.Tensor; sin: tf.Tensor }) =>
    ropeKernel.run({ x, ...rows }, { layout, rotaryDim }) as tf.Tensor4D;

  return Object.freeze({
    kind: 'rotary' as const,
    name: 'rope',
    headDim,
    rotaryDim,
    layout,
    inverseFrequencies: Object.freeze(Array.from(inverseFrequencies)),
    attentionFactor,
    variables: Object.freeze({}),
    rotate(x: tf.Tensor, options?: RotateOptions): tf.Tensor4D {
      const fn = `${FN}.rotate`;
      assertKnownOptions(fn, options, ['positions', 'role']);
      checkInput(fn, 'x', x);
      const positions = resolve(fn, 'options.positions', options?.positions, x.shape[2]!);
      // xPos scales queries and keys oppositely: a default would silently give keys the query scaling.
      // Without xPos both roles read the same tables, so the role may be left out.
      const role = options?.role ?? (xp === undefined ? 'query' : undefined);
      if (role !== 'query' && role !== 'key') {
        throw new InvalidArgumentError(
          fn,
          'options.role',
          "'query' | 'key'",
          role,
          xp !== undefined && role === undefined
            ? 'With xPos the role is required: pass { role: "query" } for queries and { role: "key" } for keys.'
            : undefined,
        );
      }
      return tf.tidy(() => run(x, tableRows(role, positions)));
    },
    apply(q: tf.Tensor, k: tf.Tensor, options?: RotaryApplyOptions): { q: tf.Tensor4D; k: tf.Tensor4D } {
      const fn = `${FN}.apply`;
      assertKnownOptions(fn, options, ['positions', 'kvPositions']);
      checkInput(fn, 'q', q);
      checkInput(fn, 'k', k);
      const qLen = q.shape[2]!;
      const kLen = k.shape[2]!;
      // Check what was given under the name it was given.
      const givenQ =
        options?.positions === undefined
          ? undefined
          : resolve(fn, 'options.positions', options.positions, qLen);
      const givenK =
        options?.kvPositions === undefined
          ? undefined
          : resolve(fn, 'options.kvPositions', options.kvPositions, kLen);
      let qRows: ResolvedPositions;
      let kRows: ResolvedPositions;
      if (givenQ === undefined && givenK === undefined) {
        // Bottom-right aligned: the last query and the last key share a position.
        qRows = resolve(fn, 'options.positions', Math.max(0, kLen - qLen), qLen);
        kRows = resolve(fn, 'options.kvPositions', Math.max(0, qLen - kLen), kLen);
      } else if (givenQ === undefined || givenK === undefined) {
        if (qLen !== kLen) {
          throw new IncompatibleOptionsError(
            fn,
            `q has ${qLen} rows and k has ${kLen}: pass both \`positions\` (queries) and \`kvPositions\` (keys).`,
          );
        }
        qRows = (givenQ ?? givenK)!;
        kRows = qRows;
      } else {
        qRows = givenQ;
        kRows = givenK;
      }
      // Without xPos, q and k at the same positions read the same table rows: slice them once.
      const samePositions =
        qRows === kRows ||
        (qRows.kind === 'range' &&
          kRows.kind === 'range' &&
          qRows.start === kRows.start &&
          qRows.count === kRows.count);
      const shared = queryTables === keyTables && samePositions;
      return tf.tidy(() => {
        const qTables = tableRows('query', qRows);
        return { q: run(q, qTables), k: run(k, shared ? qTables : tableRows('key', kRows)) };
      });
    },
    dispose(): void {
      for (const t of [queryTables, keyTables]) {
        t.cos.dispose();
        t.sin.dispose();
      }
    },
  });
}

/**
 * Registry entry for {@link rope}: capabilities, `describe()` text and a factory; `headDim` comes from the context.
 * Paper: https://arxiv.org/abs/2104.09864
 *
 * @example
 * ```ts
 * const enc = ropeDefinition.create({ base: 500000, scaling: { type: 'linear', factor: 2 } }, { modelDim: 256, heads: 4, headDim: 64, maxLength: 512, seed: 0 });
 * ```
 */
export const ropeDefinition = defineEncoding<Omit<RopeOptions, 'headDim'>>({
  name: 'rope',
  title: 'Rotary (RoPE)',
  paper: paper(
    'RoFormer: Enhanced Transformer with Rotary Position Embedding',
    'Su et al.',
    2021,
    'https://arxiv.org/abs/2104.09864',
    'Neurocomputing',
  ),
  capabilities: {
    kind: 'rotary',
    trainable: 'never',
    extrapolates: false,
    extraMemory: 'O(L·rotaryDim) cached cos/sin tables',
  },
  options: defineOptions({
    rotaryDim: {
      type: 'number',
      integer: true,
      min: 2,
      description: 'Rotated dimensions (even, ≤ headDim); the rest pass through. Default: all of headDim.',
    },
    base: {
      type: 'number',
      positive: true,
      default: 10000,
      description: 'The wavelength base (rope_theta).',
    },
    layout: {
      type: 'enum',
      values: ['half-split', 'interleaved'],
      default: 'half-split',
      description: 'Pairs (i, i + rotaryDim/2) as GPT-NeoX/LLaMA in HF, or (2i, 2i + 1) as RoFormer/GPT-J.',
    },
  }),
  objectOptions: {
    scaling: 'Context extension: { type: linear | ntk | yarn, factor, … } (default none).',
    xpos: 'xPos decay: true for the defaults, or { scaleBase, gamma } (default false).',
  },
  contextOptions: ['headDim'],
  description: {
    formula:
      'f(\\mathbf{x}, p) = R_{p}\\mathbf{x},\\quad R_{p} = \\bigoplus_{i} \\begin{pmatrix} \\cos p\\theta_i & -\\sin p\\theta_i \\\\ \\sin p\\theta_i & \\cos p\\theta_i \\end{pmatrix},\\quad \\theta_i = b^{-2i/d}',
    strengths: [
      'Relative: q·k depends on positions only through m − n, with no extra parameters.',
      'Acts on q and k only, so it works with KV caches, fused attention kernels and linear attention.',
      'Context extends with position interpolation, NTK-aware scaling or YaRN (with light fine-tuning).',
    ],
    weaknesses: [
      'Quality collapses past the training length without scaling (Press et al., 2022; Chen et al., 2023).',
      'Costs a few extra passes over q and k on every call.',
    ],
  },
  create: (options, context) => rope(withContext('rope', options, { headDim: context.headDim })),
});
