import { builtinEncodings } from '@efficient-attention/all';
import type {
  EncodingDefinition,
  EncodingKind,
  PositionalEncoding,
  RopeScaling,
} from '@efficient-attention/encodings';
import { dotProductVsDistance, encodingMatrix } from '@efficient-attention/encodings';
import { loadTf } from './load-tf.js';

/**
 * The encodings the comparison draws: every built-in that changes the vectors themselves — added to the
 * embeddings (`additive`) or rotating q and k (`rotary`) — in the catalogue's order. Score biases (ALiBi,
 * T5) have no per-position vector to draw, NoPE has none at all.
 *
 * @example
 * ```ts
 * COMPARED_ENCODINGS.map((d) => d.title); // sinusoidal, linear, learned, RoPE titles
 * ```
 */
export const COMPARED_ENCODINGS: readonly EncodingDefinition[] = Object.freeze(
  builtinEncodings.filter((d) => d.capabilities.kind === 'additive' || d.capabilities.kind === 'rotary'),
);

/** Parameters of {@link encodingFigureData}. */
export interface EncodingFigureParams {
  /** Positions 0 … length − 1 (also the learned table's length). */
  length: number;
  /** Width d (even, for RoPE's pairs): the model width of additive encodings, the head width of rotary ones. */
  dim: number;
  /** Seed of trainable tables' initial values. */
  seed: number;
  /** Context scaling, given to every encoding that takes a `scaling` option (RoPE), or none. */
  ropeScaling?: RopeScaling;
  /** The encodings drawn. Default {@link COMPARED_ENCODINGS}. */
  encodings?: readonly EncodingDefinition[];
}

/** Matrix and distance curve of one encoding. */
export interface EncodingPanel {
  /** The definition's registry name (a test id, a React key). */
  name: string;
  /** The definition's title. */
  title: string;
  kind: EncodingKind;
  /** `[length][dim]` (rotary: the cos/sin of each rotated pair per position). */
  matrix: number[][];
  /** ⟨PE(0), PE(k)⟩ (additive) or the rotary score of two all-ones vectors k apart, for k = 0 … length − 1. */
  curve: number[];
}

/**
 * The encoding matrices and dot-product-vs-distance curves of the compared encodings on the same positions:
 * each definition creates its encoding from the figure's shape (`modelDim = headDim = dim`,
 * `maxLength = length`, `seed`), then `encodingMatrix` and `dotProductVsDistance` of
 * `@efficient-attention/encodings` measure it.
 *
 * @example
 * ```ts
 * const panels = await encodingFigureData({ length: 32, dim: 16, seed: 0 });
 * panels[0].curve[0]; // 8 = d / 2 for sinusoidal
 * ```
 */
export async function encodingFigureData(p: EncodingFigureParams): Promise<EncodingPanel[]> {
  await loadTf();
  const context = { modelDim: p.dim, headDim: p.dim, heads: 1, maxLength: p.length, seed: p.seed };
  const definitions = p.encodings ?? COMPARED_ENCODINGS;
  const created: { definition: EncodingDefinition; encoding: PositionalEncoding }[] = [];
  try {
    for (const definition of definitions) {
      const takesScaling = Object.hasOwn(definition.objectOptions, 'scaling');
      const options = p.ropeScaling !== undefined && takesScaling ? { scaling: p.ropeScaling } : {};
      created.push({ definition, encoding: definition.create(options, context) });
    }
    return created.map(({ definition, encoding }) => ({
      name: definition.name,
      title: definition.title,
      kind: definition.capabilities.kind,
      matrix: encodingMatrix(encoding, p.length, p.dim),
      curve: dotProductVsDistance(encoding, { length: p.length }).value,
    }));
  } finally {
    for (const { encoding } of created) encoding.dispose();
  }
}
