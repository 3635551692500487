import { packTernary, quantizeWeights, weightBytes } from '@efficient-attention/bitnet';
import { seededNormal } from '@efficient-attention/core';
import { loadTf } from './load-tf.js';

/** Parameters of {@link bitnetFigureData}. */
export interface BitnetFigureParams {
  rows: number;
  columns: number;
  /** Standard deviation of the seeded normal weights. */
  std: number;
  seed: number;
}

/** One quantized view of the weights. */
export interface QuantizedView {
  /** Integer values, row-major. */
  values: number[];
  /** The absmean scale β (W ≈ β · values). */
  scale: number;
  /** How many values are −1, 0 and +1. */
  counts: { minus: number; zero: number; plus: number };
  /** ‖W − β·values‖_F / ‖W‖_F. */
  relativeError: number;
}

/** What the BitNet figure draws. */
export interface BitnetFigureData {
  /** Float weights, row-major. */
  weights: number[];
  binary: QuantizedView;
  ternary: QuantizedView;
  /** Bytes of the matrix as float32. */
  fp32Bytes: number;
  /** Bytes of the ternary matrix packed at 2 bits per weight (`packTernary(…, 'i2s')` words + the scale). */
  packedBytes: number;
  /** `weightBytes(n, 'i2s')`, which must equal `packedBytes`. */
  accountedBytes: number;
}

function view(weights: readonly number[], values: Int32Array, scale: number): QuantizedView {
  const counts = { minus: 0, zero: 0, plus: 0 };
  let err = 0;
  let norm = 0;
  values.forEach((v, i) => {
    if (v < 0) counts.minus++;
    else if (v === 0) counts.zero++;
    else counts.plus++;
    const w = weights[i]!;
    err += (w - scale * v) ** 2;
    norm += w * w;
  });
  return { values: Array.from(values), scale, counts, relativeError: Math.sqrt(err / norm) };
}

/**
 * Seeded normal weights quantized by `@efficient-attention/bitnet`'s `quantizeWeights`: binary (BitNet,
 * sign(W − mean W)) and ternary (BitNet b1.58, absmean round-clip), with their histograms' data, the error of
 * each, and the bytes of the float32 matrix against the 2-bit packed one (`packTernary` + `weightBytes`).
 * Wang et al. 2023 (https://arxiv.org/abs/2310.11453); Ma et al. 2024 (https://arxiv.org/abs/2402.17764).
 *
 * @example
 * ```ts
 * const d = await bitnetFigureData({ rows: 64, columns: 64, std: 0.02, seed: 0 });
 * d.fp32Bytes; // 16384; d.packedBytes = 1028
 * ```
 */
export async function bitnetFigureData(p: BitnetFigureParams): Promise<BitnetFigureData> {
  const tf = await loadTf();
  const w = seededNormal([p.rows, p.columns], p.seed, p.std);
  try {
    const weights = Array.from(await w.data());
    const b = quantizeWeights(w, { bits: 1 });
    const t = quantizeWeights(w, { bits: 1.58 });
    const [bValues, bScale, tValues, tScale] = await Promise.all([
      b.values.data(),
      b.scale.data(),
      t.values.data(),
      t.scale.data(),
    ]);
    tf.dispose([b.values, b.scale, t.values, t.scale]);
    const ternaryValues = Int32Array.from(tValues);
    const packed = packTernary(ternaryValues, 'i2s', { rowLength: p.columns });
    const n = p.rows * p.columns;
    return {
      weights,
      binary: view(weights, Int32Array.from(bValues), bScale[0]!),
      ternary: view(weights, ternaryValues, tScale[0]!),
      fp32Bytes: weightBytes(n, 'fp32'),
      packedBytes: packed.words.byteLength + 4,
      accountedBytes: weightBytes(n, 'i2s', { rowLength: p.columns }),
    };
  } finally {
    w.dispose();
  }
}
