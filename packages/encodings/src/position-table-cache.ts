import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedPositions } from './positions.js';

/**
 * A float32 table with one row per position `0 … capacity − 1`, computed once in float64 by `fillRow` and
 * kept across calls (so repeated calls do no trigonometry). It grows by doubling when a larger position is
 * asked for, and keeps one table per tfjs backend (a tensor belongs to the backend that made it).
 */
export class PositionTableCache {
  private readonly tables = new Map<string, tf.Tensor2D>();

  constructor(
    /** Values per row. */
    readonly width: number,
    /** Writes the row of `position` into `row` (length `width`). */
    private readonly fillRow: (position: number, row: Float64Array) => void,
    private readonly minCapacity = 64,
  ) {}

  /** The rows of `positions`, shape `[positions.count, width]`; the caller owns the result. */
  rows(positions: ResolvedPositions): tf.Tensor2D {
    const table = this.table(positions.max + 1);
    return tf.tidy(() => {
      if (positions.kind === 'list') return tf.gather(table, tf.tensor1d(positions.values, 'int32'));
      // The whole table: a clone shares its buffer instead of copying it.
      if (positions.start === 0 && positions.count === table.shape[0]) return tf.clone(table);
      return tf.slice(table, [positions.start, 0], [positions.count, this.width]);
    });
  }

  /** Number of rows cached for the active backend (0 when none). */
  capacity(): number {
    return this.tables.get(tf.getBackend())?.shape[0] ?? 0;
  }

  /** Disposes every cached table. */
  dispose(): void {
    for (const t of this.tables.values()) t.dispose();
    this.tables.clear();
  }

  private table(rowsNeeded: number): tf.Tensor2D {
    const backend = tf.getBackend();
    const cached = this.tables.get(backend);
    if (cached !== undefined && cached.shape[0] >= rowsNeeded) return cached;
    let capacity = Math.max(this.minCapacity, cached?.shape[0] ?? 0);
    while (capacity < rowsNeeded) capacity *= 2;
    const data = new Float32Array(capacity * this.width);
    const row = new Float64Array(this.width);
    for (let p = 0; p < capacity; p++) {
      this.fillRow(p, row);
      data.set(row, p * this.width);
    }
    cached?.dispose();
    // Kept out of any enclosing tf.tidy: the cache owns it until dispose().
    const table = tf.keep(tf.tensor2d(data, [capacity, this.width], 'float32'));
    this.tables.set(backend, table);
    return table;
  }
}
