import type { RopeScaling } from '@efficient-attention/encodings';
import {
  dotProductVsDistance,
  encodingMatrix,
  learnedPosition,
  linearPosition,
  rope,
  sinusoidal,
} from '@efficient-attention/encodings';
import { loadTf } from './load-tf.js';

/** The four encodings of the comparison figure. */
export const COMPARED_ENCODINGS = ['sinusoidal', 'linear', 'learned', 'rope'] as const;

/** One of {@link COMPARED_ENCODINGS}. */
export type ComparedEncoding = (typeof COMPARED_ENCODINGS)[number];

/** Titles of the compared encodings. */
export const ENCODING_TITLES: Readonly<Record<ComparedEncoding, string>> = {
  sinusoidal: 'Sinusoidal',
  linear: 'Linear',
  learned: 'Learned (seeded init)',
  rope: 'RoPE',
};

/** Parameters of {@link encodingFigureData}. */
export interface EncodingFigureParams {
  /** Positions 0 … length − 1. */
  length: number;
  /** Width d (even, for RoPE's pairs). */
  dim: number;
  /** Seed of the learned table's initial values. */
  seed: number;
  /** RoPE context scaling, or none. */
  ropeScaling?: RopeScaling;
}

/** Matrix and distance curve of one encoding. */
export interface EncodingPanel {
  name: ComparedEncoding;
  /** `[length][dim]` (RoPE: the cos/sin of each rotated pair per position). */
  matrix: number[][];
  /** ⟨PE(0), PE(k)⟩ (additive) or the RoPE score of two all-ones vectors k apart, for k = 0 … length − 1. */
  curve: number[];
}

/**
 * The encoding matrices and dot-product-vs-distance curves of sinusoidal, linear, learned (seeded init) and
 * RoPE encodings on the same positions, from `encodingMatrix` and `dotProductVsDistance` of
 * `@efficient-attention/encodings`.
 *
 * @example
 * ```ts
 * const panels = await encodingFigureData({ length: 32, dim: 16, seed: 0 });
 * panels[0].curve[0]; // 8 = d / 2 for sinusoidal
 * ```
 */
export async function encodingFigureData(p: EncodingFigureParams): Promise<EncodingPanel[]> {
  await loadTf();
  const encodings = {
    sinusoidal: sinusoidal({ dim: p.dim }),
    linear: linearPosition({ dim: p.dim, maxLength: p.length }),
    learned: learnedPosition({ dim: p.dim, maxLength: p.length, seed: p.seed }),
    rope: rope(p.ropeScaling ? { headDim: p.dim, scaling: p.ropeScaling } : { headDim: p.dim }),
  };
  try {
    return COMPARED_ENCODINGS.map((name) => ({
      name,
      matrix: encodingMatrix(encodings[name], p.length, p.dim),
      curve: dotProductVsDistance(encodings[name], { length: p.length }).value,
    }));
  } finally {
    for (const e of Object.values(encodings)) e.dispose();
  }
}
