import * as tf from '@tensorflow/tfjs-core';

/** Whether query `q` of (batch b, head h) may see key `kv`. */
export type AllowedPredicate = (b: number, h: number, q: number, kv: number) => boolean;

/**
 * Compiles `allowed` to `EABlockSparseAttention`'s mask tensors by brute force (full = every in-range pair
 * allowed, partial = some, skipped = none; bits row-major, LSB first, 32 per word) — independent of any
 * mask builder, as in core's tests of the layout.
 */
export function compileBlockMask(
  allowed: AllowedPredicate,
  bm: number,
  hm: number,
  qLen: number,
  kvLen: number,
  bs: number,
): Record<
  'kvNumBlocks' | 'kvIndices' | 'fullKvNumBlocks' | 'fullKvIndices' | 'partialMasks' | 'partialMaskOffsets',
  tf.Tensor
> {
  const qb = Math.ceil(qLen / bs);
  const kb = Math.ceil(kvLen / bs);
  const words = Math.ceil(bs / 32);
  const partial: number[][] = [];
  const full: number[][] = [];
  const offsets: number[] = [];
  const masks: number[] = [];
  for (let b = 0; b < bm; b++)
    for (let h = 0; h < hm; h++)
      for (let r = 0; r < qb; r++) {
        const p: number[] = [];
        const f: number[] = [];
        offsets.push(masks.length / (bs * words));
        for (let j = 0; j < kb; j++) {
          const grid = new Int32Array(bs * words);
          let count = 0;
          let area = 0;
          for (let i = 0; i < bs; i++)
            for (let c = 0; c < bs; c++) {
              const q = r * bs + i;
              const kv = j * bs + c;
              if (q >= qLen || kv >= kvLen) continue;
              area++;
              if (allowed(b, h, q, kv)) {
                count++;
                grid[i * words + (c >> 5)]! |= 1 << (c & 31);
              }
            }
          if (count === area) f.push(j);
          else if (count > 0) {
            p.push(j);
            masks.push(...grid);
          }
        }
        partial.push(p);
        full.push(f);
      }
  const pad = (lists: number[][]) => {
    const width = Math.max(1, ...lists.map((l) => l.length));
    return {
      counts: tf.tensor3d(
        lists.map((l) => l.length),
        [bm, hm, qb],
        'int32',
      ),
      indices: tf.tensor4d(
        lists.flatMap((l) => [...l, ...Array<number>(width - l.length).fill(0)]),
        [bm, hm, qb, width],
        'int32',
      ),
    };
  };
  const pp = pad(partial);
  const ff = pad(full);
  if (masks.length === 0) masks.push(...Array<number>(bs * words).fill(0));
  return {
    kvNumBlocks: pp.counts,
    kvIndices: pp.indices,
    fullKvNumBlocks: ff.counts,
    fullKvIndices: ff.indices,
    partialMasks: tf.tensor3d(masks, [masks.length / (bs * words), bs, words], 'int32'),
    partialMaskOffsets: tf.tensor3d(offsets, [bm, hm, qb], 'int32'),
  };
}
