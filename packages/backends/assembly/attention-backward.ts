// The backward of dense attention: FlashAttention-2's backward pass (Dao 2023, https://arxiv.org/abs/2307.08691,
// Algorithm 2), part of the one kernel module (re-exported by kernels.ts, whose helpers inline here).
//
// A work item is one tile of BK keys of one kv plane (taken from the shared counter): it owns that tile's
// dK and dV rows (so no two threads write them), loops over the query heads of its group (grouped-query
// attention) and over the query rows that can see the tile in steps of BR rows, and for each step
// recomputes the probabilities from q, k and the forward's row log-sum-exp L:
//   S = scale·Q·Kᵀ, P = exp(S − L), dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P ∘ (dP − D), dK += scale·dSᵀ·Q,
//   dQ += scale·dS·K, with D = rowsum(dO ∘ O) computed once per row by the caller.
// dQ rows are shared by every key tile: each thread adds into its own accumulator (the caller sums them).
// Memory: O(N·d) per operand plus O(BR·BK) scratch per thread — no N² buffer.
//
// Layouts (TypeScript side: src/kernels/fused-attention/wasm-grad.ts). Rows of a query plane are padded to
// qLen4 = ⌈qLen/4⌉·4. qT [planes][qLen4/4][dp][4]: q·scale·log2 e in groups of 4 rows, dimension-major
// (padding rows and dims 0); dOT [planes][qLen4/4][dvp][4]: dO likewise (unscaled); rowLse [planes][qLen4]:
// L·log2 e; rowDelta [planes][qLen4]: D; dq [planes][qLen4][dp]; k, dk [kvPlanes][kvLen][dp]; v, dv
// [kvPlanes][kvLen][dvp].

import { exp2v, madd, nextTile, packKeys } from './kernels';

/** Keys per work item (a multiple of 8). */
const BK: i32 = 64;
/** Query rows per step of a work item (a multiple of 4). */
const BR: i32 = 64;
/** Bytes between two rows of the P, dS and mask tiles. */
const ROW: i32 = BK * 4;

// Scratch of one thread: kpt [BK/8][dp][8] and vpt [BK/8][dvp][8] (the item's keys and values packed as
// packKeys does), pt [BR][BK] (P), dst [BR][BK] (dS, times scale), okt [BR][BK] (lane masks: all ones where
// the row sees the key; written only when products must select, see `selectProducts`), dkt [dp][BK] and
// dvt [dvp][BK] (the item's dKᵀ and dVᵀ).
let kpt: usize = 0;
let vpt: usize = 0;
let pt: usize = 0;
let dst: usize = 0;
let okt: usize = 0;
let dkt: usize = 0;
let dvt: usize = 0;

/** Bytes of scratch one thread of {@link attentionBackward} needs. */
export function attentionBackwardScratchBytes(dp: i32, dvp: i32): i32 {
  return 4 * (2 * BK * (dp + dvp) + 3 * BR * BK) + 64;
}

function setBackwardScratch(scratch: usize, dp: i32, dvp: i32): void {
  kpt = (scratch + 15) & ~(<usize>15);
  vpt = kpt + <usize>(BK * dp * 4);
  pt = vpt + <usize>(BK * dvp * 4);
  dst = pt + <usize>(BR * ROW);
  okt = dst + <usize>(BR * ROW);
  dkt = okt + <usize>(BR * ROW);
  dvt = dkt + <usize>(dp * ROW);
}

/**
 * Rows [planes][qLen][padded] (padded a multiple of 4) into groups of 4 rows stored dimension-major,
 * [planes][qLen4 / 4][padded][4], times `factor` (padding rows 0): the layout qT and dOT take. Full groups
 * go through a 4 × 4 transpose in registers.
 */
export function packRowGroups(
  src: usize,
  dstAt: usize,
  planes: i32,
  qLen: i32,
  padded: i32,
  factor: f32,
): void {
  const qLen4 = (qLen + 3) & ~3;
  const rowBytes = (<usize>padded) << 2;
  const f = f32x4.splat(factor);
  for (let p = 0; p < planes; p++) {
    const s = src + <usize>p * <usize>qLen * rowBytes;
    const d = dstAt + <usize>p * <usize>qLen4 * rowBytes;
    for (let g0 = 0; g0 < qLen4; g0 += 4) {
      const rows = min(4, qLen - g0);
      const r0p = s + <usize>g0 * rowBytes;
      const gb = d + <usize>g0 * rowBytes;
      if (rows === 4) {
        for (let dd = 0; dd < padded; dd += 4) {
          const at = (<usize>dd) << 2;
          const r0 = v128.load(r0p + at);
          const r1 = v128.load(r0p + rowBytes + at);
          const r2 = v128.load(r0p + 2 * rowBytes + at);
          const r3 = v128.load(r0p + 3 * rowBytes + at);
          const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
          const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          const o = gb + ((<usize>dd) << 4);
          v128.store(o, f32x4.mul(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), f));
          v128.store(o, f32x4.mul(v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), f), 16);
          v128.store(o, f32x4.mul(v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), f), 32);
          v128.store(o, f32x4.mul(v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), f), 48);
        }
      } else {
        for (let dd = 0; dd < padded; dd++) {
          for (let ri = 0; ri < 4; ri++) {
            const x: f32 =
              ri < rows ? load<f32>(r0p + <usize>ri * rowBytes + ((<usize>dd) << 2)) * factor : 0;
            store<f32>(gb + ((<usize>(dd * 4 + ri)) << 2), x);
          }
        }
      }
    }
  }
}

/**
 * D = rowsum(dO ∘ O) per row: `a`, `b` [planes][qLen][padded] (padded a multiple of 4) → delta
 * [planes][qLen4] (padding rows 0).
 */
export function rowDeltas(a: usize, b: usize, delta: usize, planes: i32, qLen: i32, padded: i32): void {
  const qLen4 = (qLen + 3) & ~3;
  const rowBytes = (<usize>padded) << 2;
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < qLen4; i++) {
      let sum: f32 = 0;
      if (i < qLen) {
        const at = (<usize>p * <usize>qLen + <usize>i) * rowBytes;
        let acc = f32x4.splat(0);
        for (let e = 0; e < padded; e += 4) {
          const o = at + ((<usize>e) << 2);
          acc = madd(v128.load(a + o), v128.load(b + o), acc);
        }
        sum =
          f32x4.extract_lane(acc, 0) +
          f32x4.extract_lane(acc, 1) +
          (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      }
      store<f32>(delta + ((<usize>p * <usize>qLen4 + <usize>i) << 2), sum);
    }
  }
}

/** dst[i] += src[i] for n float32 values (a multiple of 4): the threads' dQ accumulators summed. */
export function addInto(dstAt: usize, src: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const at = (<usize>i) << 2;
    v128.store(dstAt + at, f32x4.add(v128.load(dstAt + at), v128.load(src + at)));
  }
}

/**
 * Gradients of dense attention (FlashAttention-2's backward; layouts above). `scale` is the softmax scale
 * (qT already carries scale·log2 e). `causal`: 1 for the bottom-right aligned mask (row i sees keys
 * ≤ i + kvLen − qLen); fully masked tiles are never visited. `finite`: 1 when q, k, v, dO, D are all finite and
 * L has no NaN or +∞; otherwise the products over a tile with masked pairs select those pairs away instead of
 * multiplying them by P = 0 (0 · NaN would be NaN): a NaN reaches exactly the gradients the forward lets it
 * reach, and rows with no visible key get zero gradients. `dq` is this thread's accumulator (zeroed by the
 * caller); `dk`, `dv` are written whole, one key tile per work item, after the item's last read of its k and
 * v rows (no other item reads them): they may be `k` and `v` themselves.
 */
export function attentionBackward(
  qT: usize,
  dOT: usize,
  k: usize,
  v: usize,
  rowLse: usize,
  rowDelta: usize,
  dq: usize,
  dk: usize,
  dv: usize,
  kvPlanes: i32,
  group: i32,
  qLen: i32,
  kvLen: i32,
  dp: i32,
  dvp: i32,
  scale: f32,
  causal: i32,
  finite: i32,
  counter: usize,
  scratch: usize,
): void {
  setBackwardScratch(scratch, dp, dvp);
  const keyTiles = (kvLen + BK - 1) / BK;
  const qLen4 = (qLen + 3) & ~3;
  const shift = kvLen - qLen;
  const total = kvPlanes * keyTiles;
  const selectProducts = finite === 0;
  // dK is accumulated against qT (q·scale·log2 e) from dS·scale: undo the extra factor on the way out.
  const kScale: f32 = <f32>(1 / (<f64>scale * Math.LOG2E));
  // Items in order of work: within a kv plane the first key tiles are seen by the most causal rows.
  for (let t = nextTile(counter); t < total; t = nextTile(counter)) {
    const kvPlane = t / keyTiles;
    const j0 = (t - kvPlane * keyTiles) * BK;
    const jn = min(BK, kvLen - j0);
    const kRows = k + (<usize>kvPlane * <usize>kvLen + <usize>j0) * <usize>dp * 4;
    const vRows = v + (<usize>kvPlane * <usize>kvLen + <usize>j0) * <usize>dvp * 4;
    packKeys(kRows, kpt, 1, jn, dp);
    packKeys(vRows, vpt, 1, jn, dvp);
    for (let i = 0; i < dp * BK; i += 4) v128.store(dkt + ((<usize>i) << 2), f32x4.splat(0));
    for (let i = 0; i < dvp * BK; i += 4) v128.store(dvt + ((<usize>i) << 2), f32x4.splat(0));
    // The first row that sees key j0 (causal), rounded down to its group of 4 rows.
    const iStart = causal !== 0 ? max(0, j0 - shift) & ~3 : 0;
    if (iStart < qLen) {
      for (let g = 0; g < group; g++) {
        const plane = kvPlane * group + g;
        for (let i0 = iStart; i0 < qLen4; i0 += BR) {
          const rows = min(BR, qLen4 - i0);
          const rb = <usize>plane * <usize>qLen4 + <usize>i0;
          // Pairs to mask: above the causal diagonal, keys past kvLen in the last 8-key chunk, padding rows.
          const masked = (causal !== 0 && j0 + jn - 1 > i0 + shift) || (jn & 7) !== 0 || i0 + rows > qLen;
          const chunks = (jn + 7) >> 3;
          const select = masked && selectProducts;
          const qTile = qT + rb * <usize>dp * 4;
          const dOTile = dOT + rb * <usize>dvp * 4;
          // Row r's last visible key, relative to j0 (−1: none).
          const hi0 = causal !== 0 ? i0 + shift - j0 : i32.MAX_VALUE - BR;
          probabilities(qTile, rowLse + (rb << 2), dp, chunks, rows, masked, select, hi0, jn, qLen - i0);
          scoreGradients(dOTile, rowDelta + (rb << 2), dvp, chunks, rows, scale, select);
          accumulateKeyGrads(pt, dOTile, dvp, dvt, chunks, rows, select);
          accumulateKeyGrads(dst, qTile, dp, dkt, chunks, rows, select);
          accumulateQueryGrads(kRows, dq + rb * <usize>dp * 4, dp, jn, rows, select);
        }
      }
    }
    // The item's rows of dK and dV, transposed back from dKᵀ, dVᵀ.
    for (let j = 0; j < jn; j++) {
      const dkRow = dk + (<usize>kvPlane * <usize>kvLen + <usize>(j0 + j)) * <usize>dp * 4;
      for (let d = 0; d < dp; d++)
        store<f32>(dkRow + ((<usize>d) << 2), load<f32>(dkt + <usize>(d * ROW + j * 4)) * kScale);
      const dvRow = dv + (<usize>kvPlane * <usize>kvLen + <usize>(j0 + j)) * <usize>dvp * 4;
      for (let d = 0; d < dvp; d++)
        store<f32>(dvRow + ((<usize>d) << 2), load<f32>(dvt + <usize>(d * ROW + j * 4)));
    }
  }
}

/**
 * P = exp2(S·log2 e − L·log2 e) for the step's rows and the item's keys, into pt: S from qT and the packed
 * keys (4 rows × 8 keys per register tile, as the forward's stepKeys). When `masked`, pairs a row cannot see
 * (key past its causal limit hi0 + r or past the tile's jn keys, or a padding row: r ≥ realRows) are set to
 * exactly 0 by a select (their exp may be NaN), and with `storeOk` their lane masks go to okt.
 */
function probabilities(
  qTile: usize,
  lseRows: usize,
  dp: i32,
  chunks: i32,
  rows: i32,
  masked: bool,
  storeOk: bool,
  hi0: i32,
  jn: i32,
  realRows: i32,
): void {
  for (let c = 0; c < chunks; c++) {
    const kb = kpt + ((<usize>c * <usize>dp) << 5);
    for (let r0 = 0; r0 < rows; r0 += 4) {
      let a00 = f32x4.splat(0),
        a01 = f32x4.splat(0),
        a10 = f32x4.splat(0),
        a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0),
        a21 = f32x4.splat(0),
        a30 = f32x4.splat(0),
        a31 = f32x4.splat(0);
      let kk = kb;
      let qq = qTile + ((<usize>r0 * <usize>dp) << 2);
      const qEnd = qq + ((<usize>dp) << 4);
      while (qq < qEnd) {
        const k0v = v128.load(kk);
        const k1v = v128.load(kk, 16);
        let x = v128.load32_splat(qq);
        a00 = madd(x, k0v, a00);
        a01 = madd(x, k1v, a01);
        x = v128.load32_splat(qq, 4);
        a10 = madd(x, k0v, a10);
        a11 = madd(x, k1v, a11);
        x = v128.load32_splat(qq, 8);
        a20 = madd(x, k0v, a20);
        a21 = madd(x, k1v, a21);
        x = v128.load32_splat(qq, 12);
        a30 = madd(x, k0v, a30);
        a31 = madd(x, k1v, a31);
        kk += 32;
        qq += 16;
      }
      const sb = pt + <usize>(r0 * ROW + c * 32);
      v128.store(sb, a00);
      v128.store(sb, a01, 16);
      v128.store(sb + ROW, a10);
      v128.store(sb + ROW, a11, 16);
      v128.store(sb + 2 * ROW, a20);
      v128.store(sb + 2 * ROW, a21, 16);
      v128.store(sb + 3 * ROW, a30);
      v128.store(sb + 3 * ROW, a31, 16);
    }
  }
  // P = exp2(s − L) row by row, over the item's padded keys (the row's scores stay in L1).
  const padded = chunks << 3;
  const lane = i32x4(0, 1, 2, 3);
  for (let r = 0; r < rows; r++) {
    const l = v128.load32_splat(lseRows + ((<usize>r) << 2));
    const row = pt + <usize>(r * ROW);
    if (!masked) {
      for (let j = 0; j < padded; j += 4) {
        const at = row + ((<usize>j) << 2);
        v128.store(at, exp2v(f32x4.sub(v128.load(at), l)));
      }
      continue;
    }
    // A select, not a product: the exp of a masked pair may be NaN (L = −∞ or NaN).
    const hi = i32x4.splat(r < realRows ? min(jn - 1, hi0 + r) : -1);
    const okRow = okt + <usize>(r * ROW);
    for (let j = 0; j < padded; j += 4) {
      const at = row + ((<usize>j) << 2);
      const ok = i32x4.le_s(i32x4.add(i32x4.splat(j), lane), hi);
      v128.store(at, v128.and(exp2v(f32x4.sub(v128.load(at), l)), ok));
      if (storeOk) v128.store(okRow + ((<usize>j) << 2), ok);
    }
  }
}

/**
 * dS = scale · P ∘ (dP − D) into dst, with dP = dO·Vᵀ from dOT and the packed values (4 rows × 8 keys per
 * register tile). Where P was masked to 0 the product is 0 when everything is finite; `select` (a masked
 * step with non-finite operands) sets those pairs to exactly 0 instead.
 */
function scoreGradients(
  dOTile: usize,
  deltaRows: usize,
  dvp: i32,
  chunks: i32,
  rows: i32,
  scale: f32,
  select: bool,
): void {
  const sv = f32x4.splat(scale);
  for (let c = 0; c < chunks; c++) {
    const vb = vpt + ((<usize>c * <usize>dvp) << 5);
    for (let r0 = 0; r0 < rows; r0 += 4) {
      let a00 = f32x4.splat(0),
        a01 = f32x4.splat(0),
        a10 = f32x4.splat(0),
        a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0),
        a21 = f32x4.splat(0),
        a30 = f32x4.splat(0),
        a31 = f32x4.splat(0);
      let vv = vb;
      let oo = dOTile + ((<usize>r0 * <usize>dvp) << 2);
      const oEnd = oo + ((<usize>dvp) << 4);
      while (oo < oEnd) {
        const v0 = v128.load(vv);
        const v1 = v128.load(vv, 16);
        let x = v128.load32_splat(oo);
        a00 = madd(x, v0, a00);
        a01 = madd(x, v1, a01);
        x = v128.load32_splat(oo, 4);
        a10 = madd(x, v0, a10);
        a11 = madd(x, v1, a11);
        x = v128.load32_splat(oo, 8);
        a20 = madd(x, v0, a20);
        a21 = madd(x, v1, a21);
        x = v128.load32_splat(oo, 12);
        a30 = madd(x, v0, a30);
        a31 = madd(x, v1, a31);
        vv += 32;
        oo += 16;
      }
      const at = <usize>(r0 * ROW + c * 32);
      const d = deltaRows + ((<usize>r0) << 2);
      storeScoreGradients(a00, a01, at, d, sv, select);
      storeScoreGradients(a10, a11, at + ROW, d + 4, sv, select);
      storeScoreGradients(a20, a21, at + 2 * ROW, d + 8, sv, select);
      storeScoreGradients(a30, a31, at + 3 * ROW, d + 12, sv, select);
    }
  }
}

function storeScoreGradients(dp0: v128, dp1: v128, at: usize, deltaAt: usize, sv: v128, select: bool): void {
  const dl = v128.load32_splat(deltaAt);
  let s0 = f32x4.mul(f32x4.mul(f32x4.sub(dp0, dl), v128.load(pt + at)), sv);
  let s1 = f32x4.mul(f32x4.mul(f32x4.sub(dp1, dl), v128.load(pt + at, 16)), sv);
  if (select) {
    s0 = v128.and(s0, v128.load(okt + at));
    s1 = v128.and(s1, v128.load(okt + at, 16));
  }
  v128.store(dst + at, s0);
  v128.store(dst + at, s1, 16);
}

/**
 * outT[e][j] += Σ_r src[r][j] · x[r][e] for the item's keys j (8 per register tile) and e < width (4 per
 * register tile): dVᵀ += (Pᵀ·dO)ᵀ with src = P, x = dOT; dKᵀ += (dSᵀ·Q)ᵀ with src = dS, x = qT. `select`:
 * pairs whose lane mask is off add nothing (x may be NaN where src is 0).
 */
function accumulateKeyGrads(
  src: usize,
  xTile: usize,
  width: i32,
  outT: usize,
  chunks: i32,
  rows: i32,
  select: bool,
): void {
  const groupBytes = (<usize>width) << 4;
  for (let c = 0; c < chunks; c++) {
    for (let e0 = 0; e0 < width; e0 += 4) {
      let a00 = f32x4.splat(0),
        a01 = f32x4.splat(0),
        a10 = f32x4.splat(0),
        a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0),
        a21 = f32x4.splat(0),
        a30 = f32x4.splat(0),
        a31 = f32x4.splat(0);
      let sp = src + <usize>(c * 32);
      let xp = xTile + ((<usize>e0) << 4);
      const xEnd = xp + groupBytes * <usize>(rows >> 2);
      if (!select) {
        // Four rows (one group of qT / dOT) per iteration: x[r][e0 + i] sits at xp + 4·(r mod 4) + 16·i.
        while (xp < xEnd) {
          for (let ri = 0; ri < 4; ri++) {
            const s0 = v128.load(sp);
            const s1 = v128.load(sp, 16);
            const xr = xp + ((<usize>ri) << 2);
            let x = v128.load32_splat(xr);
            a00 = madd(x, s0, a00);
            a01 = madd(x, s1, a01);
            x = v128.load32_splat(xr, 16);
            a10 = madd(x, s0, a10);
            a11 = madd(x, s1, a11);
            x = v128.load32_splat(xr, 32);
            a20 = madd(x, s0, a20);
            a21 = madd(x, s1, a21);
            x = v128.load32_splat(xr, 48);
            a30 = madd(x, s0, a30);
            a31 = madd(x, s1, a31);
            sp += ROW;
          }
          xp += groupBytes;
        }
      } else {
        let op = okt + <usize>(c * 32);
        while (xp < xEnd) {
          for (let ri = 0; ri < 4; ri++) {
            const s0 = v128.load(sp);
            const s1 = v128.load(sp, 16);
            const m0 = v128.load(op);
            const m1 = v128.load(op, 16);
            const xr = xp + ((<usize>ri) << 2);
            let x = v128.load32_splat(xr);
            a00 = v128.bitselect(madd(x, s0, a00), a00, m0);
            a01 = v128.bitselect(madd(x, s1, a01), a01, m1);
            x = v128.load32_splat(xr, 16);
            a10 = v128.bitselect(madd(x, s0, a10), a10, m0);
            a11 = v128.bitselect(madd(x, s1, a11), a11, m1);
            x = v128.load32_splat(xr, 32);
            a20 = v128.bitselect(madd(x, s0, a20), a20, m0);
            a21 = v128.bitselect(madd(x, s1, a21), a21, m1);
            x = v128.load32_splat(xr, 48);
            a30 = v128.bitselect(madd(x, s0, a30), a30, m0);
            a31 = v128.bitselect(madd(x, s1, a31), a31, m1);
            sp += ROW;
            op += ROW;
          }
          xp += groupBytes;
        }
      }
      const o0 = outT + <usize>(e0 * ROW + c * 32);
      const o1 = o0 + ROW,
        o2 = o0 + 2 * ROW,
        o3 = o0 + 3 * ROW;
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
}

/**
 * dq[r] += Σ_j dS[r][j] · k[j] over the item's jn keys (row-major, from `kRows`), 4 rows × 8 dims per
 * register tile. `select`: masked pairs add nothing (k may be NaN where dS is 0).
 */
function accumulateQueryGrads(kRows: usize, dqTile: usize, dp: i32, jn: i32, rows: i32, select: bool): void {
  const kStride = (<usize>dp) << 2;
  for (let r0 = 0; r0 < rows; r0 += 4) {
    for (let d0 = 0; d0 < dp; d0 += 8) {
      let a00 = f32x4.splat(0),
        a01 = f32x4.splat(0),
        a10 = f32x4.splat(0),
        a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0),
        a21 = f32x4.splat(0),
        a30 = f32x4.splat(0),
        a31 = f32x4.splat(0);
      let kr = kRows + ((<usize>d0) << 2);
      let sp = dst + <usize>(r0 * ROW);
      const sEnd = sp + ((<usize>jn) << 2);
      if (!select) {
        while (sp < sEnd) {
          const k0v = v128.load(kr);
          const k1v = v128.load(kr, 16);
          let x = v128.load32_splat(sp);
          a00 = madd(x, k0v, a00);
          a01 = madd(x, k1v, a01);
          x = v128.load32_splat(sp, ROW);
          a10 = madd(x, k0v, a10);
          a11 = madd(x, k1v, a11);
          x = v128.load32_splat(sp, 2 * ROW);
          a20 = madd(x, k0v, a20);
          a21 = madd(x, k1v, a21);
          x = v128.load32_splat(sp, 3 * ROW);
          a30 = madd(x, k0v, a30);
          a31 = madd(x, k1v, a31);
          kr += kStride;
          sp += 4;
        }
      } else {
        let op = okt + <usize>(r0 * ROW);
        while (sp < sEnd) {
          const k0v = v128.load(kr);
          const k1v = v128.load(kr, 16);
          let x = v128.load32_splat(sp);
          let m = v128.load32_splat(op);
          a00 = v128.bitselect(madd(x, k0v, a00), a00, m);
          a01 = v128.bitselect(madd(x, k1v, a01), a01, m);
          x = v128.load32_splat(sp, ROW);
          m = v128.load32_splat(op, ROW);
          a10 = v128.bitselect(madd(x, k0v, a10), a10, m);
          a11 = v128.bitselect(madd(x, k1v, a11), a11, m);
          x = v128.load32_splat(sp, 2 * ROW);
          m = v128.load32_splat(op, 2 * ROW);
          a20 = v128.bitselect(madd(x, k0v, a20), a20, m);
          a21 = v128.bitselect(madd(x, k1v, a21), a21, m);
          x = v128.load32_splat(sp, 3 * ROW);
          m = v128.load32_splat(op, 3 * ROW);
          a30 = v128.bitselect(madd(x, k0v, a30), a30, m);
          a31 = v128.bitselect(madd(x, k1v, a31), a31, m);
          kr += kStride;
          sp += 4;
          op += 4;
        }
      }
      const o0 = dqTile + ((<usize>r0 * <usize>dp + <usize>d0) << 2);
      const o1 = o0 + kStride,
        o2 = o0 + 2 * kStride,
        o3 = o0 + 3 * kStride;
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
}
