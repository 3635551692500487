// The backward of block-sparse attention: FlashAttention-2's backward (Dao 2023, Algorithm 2,
// https://arxiv.org/abs/2307.08691) run over the (query block, key block) pairs a compiled block mask lists —
// the same pairs as the forward `blockSparseAttention` in kernels.ts, which re-exports this file (one module:
// see its header). Per pair, with P recomputed from q, k and the forward's row log-sum-exp L:
//   P = exp(scale·q·kᵀ − L) (0 where the bitmask masks), dP = dO·vᵀ, dS = scale·P∘(dP − D), D = rowsum(dO∘O),
//   dV += Pᵀ·dO, dK += dSᵀ·q, dQ += dS·k.
// A work item is one key block of one kv head (dK and dV rows are owned by one item: no atomics); it walks the
// query heads of its group and, for each, the query blocks that list it (the transposed block lists, built by
// the TypeScript side). dQ goes to a per-thread accumulator, summed by `blockSparseBackwardDq` afterwards.

import { exp2v, madd } from './kernels';

/** Query rows per tile (the register tiling of every product below). */
const TR: i32 = 4;
/** Columns of the P / dS scratch: keys of one span, from an 8-aligned start (a multiple of 8). */
const SPAN: i32 = 128;
/** Bytes of one scratch row. */
const ROW: i32 = SPAN * 4;
/** Query rows of a block held in scratch at once (a multiple of TR). */
const CHUNK_ROWS: i32 = 64;
const LOG2E: f32 = <f32>Math.LOG2E;

/** Bytes of scratch one thread of {@link blockSparseAttentionBackward} needs: P, dS and lane masks. */
export function blockSparseBackwardScratchBytes(): i32 {
  return 3 * CHUNK_ROWS * ROW + 64;
}

// Layouts (dp, dvp: head and value dims padded to multiples of 8; tpb = ⌈bs / 4⌉ tiles per query block):
//   tiles  x4 [planes][qBlocks][tpb][width][4]: a block's rows in 4-row tiles, dimension-major (q·scale·log2 e
//          and dO), rows past the block's end 0 — what the score loop reads, 4 rows of one dimension at once;
//   rows   [planes][qLen][width] row-major (q and dO), packed keys and values [kvPlanes][⌈kvLen/8⌉][width][8]
//          (`packKeys`), row-major keys [kvPlanes][kvLen][dp];
//   per tile row (the tiles' slots) lse2 = L·log2 e and delta = D, [planes][qBlocks][tpb·4];
//   the dQ accumulator of a thread, per tile row: [planes][qBlocks][tpb·4][dp].

let pPtr: usize = 0;
let dsPtr: usize = 0;
let okPtr: usize = 0;

/**
 * Rows `[planes][len][width]` → 4-row tiles of each block `[planes][⌈len/bs⌉][⌈bs/4⌉][width][4]`, times
 * `scale` (rows past a block's end are 0). Planes `first, first + step, …`: threads split them.
 */
export function packRowTiles(
  src: usize,
  dst: usize,
  planes: i32,
  len: i32,
  width: i32,
  bs: i32,
  scale: f32,
  first: i32,
  step: i32,
): void {
  const blocks = (len + bs - 1) / bs;
  const tpb = (bs + TR - 1) / TR;
  const tileBytes = <usize>(width * TR * 4);
  for (let p = first; p < planes; p += step) {
    let out = dst + <usize>p * <usize>blocks * <usize>tpb * tileBytes;
    for (let blk = 0; blk < blocks; blk++) {
      const end = min(len, (blk + 1) * bs);
      for (let t = 0; t < tpb; t++) {
        const row0 = blk * bs + t * TR;
        const rows = min(TR, end - row0);
        for (let r = 0; r < TR; r++) {
          const srcRow = src + (<usize>p * <usize>len + <usize>(row0 + r)) * <usize>width * 4;
          for (let dd = 0; dd < width; dd++)
            store<f32>(
              out + <usize>((dd * TR + r) * 4),
              r < rows ? load<f32>(srcRow + ((<usize>dd) << 2)) * scale : 0,
            );
        }
        out += tileBytes;
      }
    }
  }
}

/**
 * Per tile row (see the layouts above): lse2 = L·log2 e and delta = D = rowsum(dO∘O) for the rows of a block,
 * +∞ and 0 in the padding slots. `out` and `dOut` are rows `[planes][qLen][dvp]`, `lse` is `[planes][qLen]`.
 * Planes `first, first + step, …`.
 */
export function blockSparseBackwardRowStats(
  out: usize,
  dOut: usize,
  lse: usize,
  lse2: usize,
  delta: usize,
  planes: i32,
  qLen: i32,
  dvp: i32,
  bs: i32,
  first: i32,
  step: i32,
): void {
  const blocks = (qLen + bs - 1) / bs;
  const slots = ((bs + TR - 1) / TR) * TR;
  for (let p = first; p < planes; p += step) {
    for (let blk = 0; blk < blocks; blk++) {
      const at = (<usize>(p * blocks + blk) * <usize>slots) << 2;
      for (let s = 0; s < slots; s++) {
        const row = blk * bs + s;
        let l: f32 = Infinity;
        let d: f32 = 0;
        if (s < bs && row < qLen) {
          const g = <usize>p * <usize>qLen + <usize>row;
          l = load<f32>(lse + (g << 2)) * LOG2E;
          const o = out + g * <usize>dvp * 4;
          const dO = dOut + g * <usize>dvp * 4;
          let acc = f32x4.splat(0);
          for (let dd = 0; dd < dvp; dd += 4)
            acc = madd(v128.load(dO + ((<usize>dd) << 2)), v128.load(o + ((<usize>dd) << 2)), acc);
          d =
            f32x4.extract_lane(acc, 0) +
            f32x4.extract_lane(acc, 1) +
            (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
        }
        store<f32>(lse2 + at + ((<usize>s) << 2), l);
        store<f32>(delta + at + ((<usize>s) << 2), d);
      }
    }
  }
}

/**
 * x4 tile (4 rows, dimension-major) times `chunks` packed 8-key chunks from key `a0` (a multiple of 8):
 * scores of 4 rows × 8 keys at a time, stored at `dst` (rows ROW bytes apart). The forward's score loop.
 */
function tileScores(x4: usize, packed: usize, width: i32, a0: i32, chunks: i32, dst: usize): void {
  for (let c = 0; c < chunks; c++) {
    let kk = packed + ((<usize>((a0 >> 3) + c) * <usize>width) << 5);
    let a00 = f32x4.splat(0),
      a01 = f32x4.splat(0),
      a10 = f32x4.splat(0),
      a11 = f32x4.splat(0);
    let a20 = f32x4.splat(0),
      a21 = f32x4.splat(0),
      a30 = f32x4.splat(0),
      a31 = f32x4.splat(0);
    let xx = x4;
    const xEnd = x4 + ((<usize>width) << 4);
    while (xx < xEnd) {
      const k0v = v128.load(kk);
      const k1v = v128.load(kk, 16);
      let x = v128.load32_splat(xx);
      a00 = madd(x, k0v, a00);
      a01 = madd(x, k1v, a01);
      x = v128.load32_splat(xx, 4);
      a10 = madd(x, k0v, a10);
      a11 = madd(x, k1v, a11);
      x = v128.load32_splat(xx, 8);
      a20 = madd(x, k0v, a20);
      a21 = madd(x, k1v, a21);
      x = v128.load32_splat(xx, 12);
      a30 = madd(x, k0v, a30);
      a31 = madd(x, k1v, a31);
      kk += 32;
      xx += 16;
    }
    const sb = dst + ((<usize>c) << 5);
    v128.store(sb, a00);
    v128.store(sb, a01, 16);
    v128.store(sb, a10, ROW);
    v128.store(sb, a11, ROW + 16);
    v128.store(sb, a20, ROW * 2);
    v128.store(sb, a21, ROW * 2 + 16);
    v128.store(sb, a30, ROW * 3);
    v128.store(sb, a31, ROW * 3 + 16);
  }
}

/**
 * The bits of keys `col … col + 3` (relative to the key block's start) in one row of a partial block's
 * bitmask, as bits 0–3; keys outside [0, limit) give 0 (and are never read: no load past the mask).
 */
function bits4(rowBits: usize, col: i32, words: i32, limit: i32): i32 {
  if (col >= 0 && col + 4 <= limit) {
    const w = col >> 5;
    const at = rowBits + ((<usize>w) << 2);
    const word: u64 = w + 1 < words ? load<u64>(at) : <u64>load<u32>(at);
    return <i32>(word >>> <u64>(col & 31)) & 15;
  }
  let b4 = 0;
  for (let i = 0; i < 4; i++) {
    const ci = col + i;
    if (ci >= 0 && ci < limit)
      b4 |= (<i32>((load<u32>(rowBits + ((<usize>(ci >> 5)) << 2)) >>> (<u32>ci & 31)) & 1)) << i;
  }
  return b4;
}

/**
 * Turns one tile's scores (in P) and dO·vᵀ (in dS) into P = 2^(s − lse2) and dS = scale·P∘(dP − D), over
 * `padded` columns. Partial blocks (`maskBits` ≠ 0) select masked entries to exactly 0 (a select, never a
 * product: a masked NaN score must vanish) and keep the lane masks in `ok`; padding rows are 0.
 */
function tileProbabilities(
  p: usize,
  ds: usize,
  ok: usize,
  tileRows: i32,
  padded: i32,
  stats: usize,
  deltas: usize,
  scale: f32,
  maskBits: usize,
  words: i32,
  col0: i32,
  limit: i32,
): void {
  const sc = f32x4.splat(scale);
  const zero = f32x4.splat(0);
  const laneBit = i32x4(1, 2, 4, 8);
  for (let r = 0; r < TR; r++) {
    const pr = p + <usize>(r * ROW);
    const dr = ds + <usize>(r * ROW);
    const okr = ok + <usize>(r * ROW);
    if (r >= tileRows) {
      for (let j = 0; j < padded; j += 4) {
        v128.store(pr + ((<usize>j) << 2), zero);
        v128.store(dr + ((<usize>j) << 2), zero);
        v128.store(okr + ((<usize>j) << 2), zero);
      }
      continue;
    }
    const l2 = f32x4.splat(load<f32>(stats + <usize>(r * 4)));
    const dl = f32x4.splat(load<f32>(deltas + <usize>(r * 4)));
    if (maskBits === 0) {
      for (let j = 0; j < padded; j += 4) {
        const at = (<usize>j) << 2;
        const pv = exp2v(f32x4.sub(v128.load(pr + at), l2));
        v128.store(pr + at, pv);
        v128.store(dr + at, f32x4.mul(f32x4.mul(pv, f32x4.sub(v128.load(dr + at), dl)), sc));
      }
    } else {
      const bits = maskBits + <usize>(r * words * 4);
      for (let j = 0; j < padded; j += 4) {
        const at = (<usize>j) << 2;
        const m = i32x4.ne(v128.and(i32x4.splat(bits4(bits, col0 + j, words, limit)), laneBit), zero);
        const pv = v128.and(exp2v(f32x4.sub(v128.load(pr + at), l2)), m);
        v128.store(pr + at, pv);
        const dv = f32x4.mul(f32x4.mul(pv, f32x4.sub(v128.load(dr + at), dl)), sc);
        v128.store(dr + at, v128.and(dv, m));
        v128.store(okr + at, m);
      }
    }
  }
}

/**
 * dQ of a tile (4 rows × dp at `acc`, rows dp·4 bytes apart) += dS (4 rows at `ds`, ROW bytes apart, from the
 * span's first key) · k (`n` row-major key rows at `kRow`).
 */
function tileDq(ds: usize, kRow: usize, n: i32, dp: i32, acc: usize): void {
  const kStride = (<usize>dp) << 2;
  for (let dc = 0; dc < dp; dc += 8) {
    let a00 = f32x4.splat(0),
      a01 = f32x4.splat(0),
      a10 = f32x4.splat(0),
      a11 = f32x4.splat(0);
    let a20 = f32x4.splat(0),
      a21 = f32x4.splat(0),
      a30 = f32x4.splat(0),
      a31 = f32x4.splat(0);
    let kb = kRow + ((<usize>dc) << 2);
    let sp = ds;
    const sEnd = ds + ((<usize>n) << 2);
    while (sp < sEnd) {
      const k0v = v128.load(kb);
      const k1v = v128.load(kb, 16);
      let x = v128.load32_splat(sp);
      a00 = madd(x, k0v, a00);
      a01 = madd(x, k1v, a01);
      x = v128.load32_splat(sp, ROW);
      a10 = madd(x, k0v, a10);
      a11 = madd(x, k1v, a11);
      x = v128.load32_splat(sp, ROW * 2);
      a20 = madd(x, k0v, a20);
      a21 = madd(x, k1v, a21);
      x = v128.load32_splat(sp, ROW * 3);
      a30 = madd(x, k0v, a30);
      a31 = madd(x, k1v, a31);
      kb += kStride;
      sp += 4;
    }
    const o0 = acc + ((<usize>dc) << 2);
    const o1 = o0 + kStride,
      o2 = o1 + kStride,
      o3 = o2 + kStride;
    v128.store(o0, f32x4.add(v128.load(o0), a00));
    v128.store(o0, f32x4.add(v128.load(o0, 16), a01), 16);
    v128.store(o1, f32x4.add(v128.load(o1), a10));
    v128.store(o1, f32x4.add(v128.load(o1, 16), a11), 16);
    v128.store(o2, f32x4.add(v128.load(o2), a20));
    v128.store(o2, f32x4.add(v128.load(o2, 16), a21), 16);
    v128.store(o3, f32x4.add(v128.load(o3), a30));
    v128.store(o3, f32x4.add(v128.load(o3, 16), a31), 16);
  }
}

/**
 * out (`keys` rows of `width` from the span's first key) += srcᵀ · rows: src is P or dS (`n` chunk rows ROW
 * bytes apart, from the span's first key), rows are dO or q (`n` row-major rows). 4 keys × 8 dims at a time;
 * a last group of fewer keys computes 4 and stores its own.
 */
function accumulateKeys(src: usize, rows: usize, n: i32, width: i32, out: usize, keys: i32): void {
  const stride = (<usize>width) << 2;
  for (let c = 0; c < keys; c += 4) {
    const store4 = min(4, keys - c);
    for (let dc = 0; dc < width; dc += 8) {
      let a00 = f32x4.splat(0),
        a01 = f32x4.splat(0),
        a10 = f32x4.splat(0),
        a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0),
        a21 = f32x4.splat(0),
        a30 = f32x4.splat(0),
        a31 = f32x4.splat(0);
      let sp = src + ((<usize>c) << 2);
      let rp = rows + ((<usize>dc) << 2);
      const rEnd = rp + <usize>n * stride;
      while (rp < rEnd) {
        const r0 = v128.load(rp);
        const r1 = v128.load(rp, 16);
        let x = v128.load32_splat(sp);
        a00 = madd(x, r0, a00);
        a01 = madd(x, r1, a01);
        x = v128.load32_splat(sp, 4);
        a10 = madd(x, r0, a10);
        a11 = madd(x, r1, a11);
        x = v128.load32_splat(sp, 8);
        a20 = madd(x, r0, a20);
        a21 = madd(x, r1, a21);
        x = v128.load32_splat(sp, 12);
        a30 = madd(x, r0, a30);
        a31 = madd(x, r1, a31);
        rp += stride;
        sp += <usize>ROW;
      }
      const o0 = out + <usize>c * stride + ((<usize>dc) << 2);
      v128.store(o0, f32x4.add(v128.load(o0), a00));
      v128.store(o0, f32x4.add(v128.load(o0, 16), a01), 16);
      if (store4 > 1) {
        const o1 = o0 + stride;
        v128.store(o1, f32x4.add(v128.load(o1), a10));
        v128.store(o1, f32x4.add(v128.load(o1, 16), a11), 16);
      }
      if (store4 > 2) {
        const o2 = o0 + stride * 2;
        v128.store(o2, f32x4.add(v128.load(o2), a20));
        v128.store(o2, f32x4.add(v128.load(o2, 16), a21), 16);
      }
      if (store4 > 3) {
        const o3 = o0 + stride * 3;
        v128.store(o3, f32x4.add(v128.load(o3), a30));
        v128.store(o3, f32x4.add(v128.load(o3, 16), a31), 16);
      }
    }
  }
}

/**
 * {@link accumulateKeys} for a partial block whose rows hold NaN or ±∞: only visible (row, key) pairs
 * (`ok`, laid out like src) are added, so a masked row's q or dO never reaches a key (0 · NaN = NaN).
 */
function accumulateKeysVisible(
  src: usize,
  ok: usize,
  rows: usize,
  n: i32,
  width: i32,
  out: usize,
  keys: i32,
): void {
  const stride = (<usize>width) << 2;
  for (let i = 0; i < n; i++) {
    const row = rows + <usize>i * stride;
    for (let c = 0; c < keys; c++) {
      const at = <usize>(i * ROW + c * 4);
      if (load<i32>(ok + at) === 0) continue;
      const x = f32x4.splat(load<f32>(src + at));
      const o = out + <usize>c * stride;
      for (let dd = 0; dd < width; dd += 4) {
        const d = (<usize>dd) << 2;
        v128.store(o + d, madd(x, v128.load(row + d), v128.load(o + d)));
      }
    }
  }
}

/** {@link tileDq} for a partial block whose keys hold NaN or ±∞: only visible pairs are added. */
function tileDqVisible(ds: usize, ok: usize, tileRows: i32, kRow: usize, n: i32, dp: i32, acc: usize): void {
  const kStride = (<usize>dp) << 2;
  for (let r = 0; r < tileRows; r++) {
    const o = acc + <usize>r * kStride;
    for (let c = 0; c < n; c++) {
      const at = <usize>(r * ROW + c * 4);
      if (load<i32>(ok + at) === 0) continue;
      const x = f32x4.splat(load<f32>(ds + at));
      const kr = kRow + <usize>c * kStride;
      for (let dd = 0; dd < dp; dd += 4) {
        const d = (<usize>dd) << 2;
        v128.store(o + d, madd(x, v128.load(kr + d), v128.load(o + d)));
      }
    }
  }
}

/**
 * The backward of `blockSparseAttention` over the pairs its block mask lists, on every thread: work items
 * (one key block of one kv head: `order` lists the item ids kvPlane·kvBlocks + block, costliest first) are
 * taken from `counter`. Writes dK `[kvPlanes][kvLen][dp]` and dV `[kvPlanes][kvLen][dvp]` (every row, zero for
 * key blocks no query block lists) and adds dQ into this thread's accumulator `dqAcc` (zeroed here; see the
 * layouts above). `tStarts` / `tPairs`: per mask plane × key block, the query blocks listing it, ascending, as
 * (query block, partial-mask index or −1) pairs of i32 (the transposed `mergeBlockLists`). `finite`:
 * bit 0 / 1 / 2 set when q / k / dO hold no NaN or ±∞ (else partial blocks take the select paths).
 */
export function blockSparseAttentionBackward(
  q4: usize,
  qRows: usize,
  kp: usize,
  kRows: usize,
  vp: usize,
  dO4: usize,
  dORows: usize,
  lse2: usize,
  delta: usize,
  dqAcc: usize,
  dk: usize,
  dv: usize,
  batch: i32,
  heads: i32,
  group: i32,
  qLen: i32,
  kvLen: i32,
  dp: i32,
  dvp: i32,
  scale: f32,
  bs: i32,
  maskBatch: i32,
  maskHeads: i32,
  tStarts: usize,
  tPairs: usize,
  masks: usize,
  words: i32,
  order: usize,
  finite: i32,
  counter: usize,
  scratch: usize,
): void {
  pPtr = (scratch + 15) & ~(<usize>15);
  dsPtr = pPtr + <usize>(CHUNK_ROWS * ROW);
  okPtr = dsPtr + <usize>(CHUNK_ROWS * ROW);
  const qFinite = (finite & 1) !== 0;
  const kFinite = (finite & 2) !== 0;
  const dOFinite = (finite & 4) !== 0;
  const qBlocks = (qLen + bs - 1) / bs;
  const kvBlocks = (kvLen + bs - 1) / bs;
  const tpb = (bs + TR - 1) / TR;
  const slots = tpb * TR;
  const planes = batch * heads;
  const kvHeads = heads / group;
  const chunks8 = (kvLen + 7) >> 3;
  // This thread's dQ accumulator starts at 0 (the others zero theirs).
  const accBytes = <usize>planes * <usize>qBlocks * <usize>slots * <usize>dp * 4;
  for (let i: usize = 0; i < accBytes; i += 16) v128.store(dqAcc + i, f32x4.splat(0));
  const total = batch * kvHeads * kvBlocks;
  for (let t = atomic.add<i32>(counter, 1); t < total; t = atomic.add<i32>(counter, 1)) {
    const item = load<i32>(order + ((<usize>t) << 2));
    const kvPlane = item / kvBlocks;
    const j = item - kvPlane * kvBlocks;
    const b = kvPlane / kvHeads;
    const kh = kvPlane - b * kvHeads;
    const kStart = j * bs;
    const kStop = min(kvLen, kStart + bs);
    const dkBlock = dk + (<usize>kvPlane * <usize>kvLen + <usize>kStart) * <usize>dp * 4;
    const dvBlock = dv + (<usize>kvPlane * <usize>kvLen + <usize>kStart) * <usize>dvp * 4;
    for (let i = 0; i < (kStop - kStart) * dp; i += 4)
      v128.store(dkBlock + ((<usize>i) << 2), f32x4.splat(0));
    for (let i = 0; i < (kStop - kStart) * dvp; i += 4)
      v128.store(dvBlock + ((<usize>i) << 2), f32x4.splat(0));
    const kpPlane = kp + <usize>kvPlane * <usize>chunks8 * <usize>dp * 32;
    const vpPlane = vp + <usize>kvPlane * <usize>chunks8 * <usize>dvp * 32;
    const kRowPlane = kRows + <usize>kvPlane * <usize>kvLen * <usize>dp * 4;
    for (let h = kh * group; h < (kh + 1) * group; h++) {
      const plane = b * heads + h;
      const maskPlane = (maskBatch === 1 ? 0 : b) * maskHeads + (maskHeads === 1 ? 0 : h);
      const row = maskPlane * kvBlocks + j;
      const e0 = load<i32>(tStarts + ((<usize>row) << 2));
      const e1 = load<i32>(tStarts + ((<usize>(row + 1)) << 2));
      for (let e = e0; e < e1; e++) {
        const r = load<i32>(tPairs + ((<usize>e) << 3));
        const mi = load<i32>(tPairs + ((<usize>e) << 3), 4);
        const blockRows = min(bs, qLen - r * bs);
        const blockTile = <usize>(plane * qBlocks + r) * <usize>tpb;
        for (let c0 = 0; c0 < blockRows; c0 += CHUNK_ROWS) {
          const chunkRows = min(CHUNK_ROWS, blockRows - c0);
          const tiles = (chunkRows + TR - 1) / TR;
          const firstRow = <usize>plane * <usize>qLen + <usize>(r * bs + c0);
          for (let k0 = kStart; k0 < kStop; ) {
            const a0 = k0 & ~7;
            const k1 = min(kStop, a0 + SPAN);
            const padded = ((k1 - a0 + 7) >> 3) << 3;
            const keys = k1 - k0;
            const col = <usize>((k0 - a0) * 4);
            for (let t = 0; t < tiles; t++) {
              const tile = blockTile + <usize>(c0 / TR + t);
              const tileRows = min(TR, chunkRows - t * TR);
              const pT = pPtr + <usize>(t * TR * ROW);
              const dsT = dsPtr + <usize>(t * TR * ROW);
              const okT = okPtr + <usize>(t * TR * ROW);
              tileScores(q4 + tile * <usize>(dp * TR * 4), kpPlane, dp, a0, padded >> 3, pT);
              tileScores(dO4 + tile * <usize>(dvp * TR * 4), vpPlane, dvp, a0, padded >> 3, dsT);
              const statAt = (tile * <usize>TR) << 2;
              const maskBits: usize =
                mi < 0
                  ? <usize>0
                  : masks + (((<usize>mi * <usize>bs + <usize>(c0 + t * TR)) * <usize>words) << 2);
              tileProbabilities(
                pT,
                dsT,
                okT,
                tileRows,
                padded,
                lse2 + statAt,
                delta + statAt,
                scale,
                maskBits,
                words,
                a0 - kStart,
                k1 - kStart,
              );
              const accTile = dqAcc + tile * <usize>(TR * dp * 4);
              const kFirst = kRowPlane + <usize>k0 * <usize>dp * 4;
              if (mi >= 0 && !kFinite)
                tileDqVisible(dsT + col, okT + col, tileRows, kFirst, keys, dp, accTile);
              else tileDq(dsT + col, kFirst, keys, dp, accTile);
            }
            const dvAt = dv + (<usize>kvPlane * <usize>kvLen + <usize>k0) * <usize>dvp * 4;
            const dkAt = dk + (<usize>kvPlane * <usize>kvLen + <usize>k0) * <usize>dp * 4;
            const dORow = dORows + firstRow * <usize>dvp * 4;
            const qRow = qRows + firstRow * <usize>dp * 4;
            if (mi >= 0 && !dOFinite)
              accumulateKeysVisible(pPtr + col, okPtr + col, dORow, chunkRows, dvp, dvAt, keys);
            else accumulateKeys(pPtr + col, dORow, chunkRows, dvp, dvAt, keys);
            if (mi >= 0 && !qFinite)
              accumulateKeysVisible(dsPtr + col, okPtr + col, qRow, chunkRows, dp, dkAt, keys);
            else accumulateKeys(dsPtr + col, qRow, chunkRows, dp, dkAt, keys);
            k0 = k1;
          }
        }
      }
    }
  }
}

/**
 * dQ `[planes][qLen][dp]` = the sum of the `threads` per-thread accumulators (`accStride` bytes apart, in the
 * per-tile-row layout of {@link blockSparseAttentionBackward}); work items (one query block of one plane) are
 * taken from `counter`.
 */
export function blockSparseBackwardDq(
  acc: usize,
  accStride: usize,
  threads: i32,
  dq: usize,
  planes: i32,
  qLen: i32,
  dp: i32,
  bs: i32,
  counter: usize,
): void {
  const qBlocks = (qLen + bs - 1) / bs;
  const slots = ((bs + TR - 1) / TR) * TR;
  const total = planes * qBlocks;
  const rowBytes = <usize>dp * 4;
  for (let t = atomic.add<i32>(counter, 1); t < total; t = atomic.add<i32>(counter, 1)) {
    const plane = t / qBlocks;
    const blk = t - plane * qBlocks;
    const rows = min(bs, qLen - blk * bs);
    const src = acc + <usize>t * <usize>slots * rowBytes;
    const dst = dq + (<usize>plane * <usize>qLen + <usize>(blk * bs)) * rowBytes;
    const n = <usize>rows * rowBytes;
    for (let i: usize = 0; i < n; i += 16) {
      let s = v128.load(src + i);
      for (let th = 1; th < threads; th++) s = f32x4.add(s, v128.load(src + <usize>th * accStride + i));
      v128.store(dst + i, s);
    }
  }
}
