// The WebAssembly SIMD kernel module of @efficient-attention/backends (AssemblyScript, compiled by
// `pnpm build:wasm` to src/runtime/wasm/kernels.wasm with an imported shared memory). Every function works on
// raw byte offsets into that memory; the TypeScript side owns allocation and layouts (src/runtime/wasm/) and
// declares each export's parameters by name (`wasmFunction` in src/kernels/<kernel>/wasm.ts). Threads run
// the same functions, taking tiles from a shared atomic counter.
//
// One module for every kernel, on purpose: splitting it per kernel would cost speed. The attention kernels
// share the tile loop, the online-softmax step and the vector exp2 (`stepKeys`, `exp2v`), which Binaryen
// inlines within a module — V8 never inlines across module boundaries, so a split module would pay a call
// per 4-lane exp2 and per tile step — and every kernel shares one imported memory, one arena and one worker
// pool, which separate modules would each have to instantiate per thread. A new kernel adds its exports here.

/** First free byte after the module's static data: the TypeScript allocator starts here. */
export const heapBase: usize = __heap_base;

// Kernels kept in files of their own, compiled into this one module all the same (shared helpers inline).
export {
  addInto,
  attentionBackward,
  attentionBackwardScratchBytes,
  packRowGroups,
  rowDeltas,
} from './attention-backward';
export {
  blockSparseAttentionBackward,
  blockSparseBackwardDq,
  blockSparseBackwardRowStats,
  blockSparseBackwardScratchBytes,
  packRowTiles,
} from './block-sparse-backward';

/** Query rows per tile (register tiling of q·kᵀ and p·v). */
const R: i32 = 4;
/** Width of the score tile: keys per online-softmax step (a multiple of 8). */
export const SCORE_TILE: i32 = 128;

const NEG_INF: f32 = -Infinity;

/** Query tiles a dense work item holds at once (32 rows): each key block is reused by all of them from cache. */
export const DENSE_TILES: i32 = 8;

/** Bytes of one tile's state: qs [R][dp], o [R][dvp], m [R], l [R], seen [R]. */
function tileBytes(dp: i32, dvp: i32): i32 {
  return 4 * R * (dp + dvp + 3);
}

/** Bytes of scratch one thread needs: the score tile, its lane masks, and `tiles` tile states. */
export function attentionScratchBytes(dp: i32, dvp: i32, tiles: i32): i32 {
  return 8 * R * SCORE_TILE + tiles * tileBytes(dp, dvp) + 64;
}

/**
 * 1 when the `n` float32 values at `x` (a multiple of 4) are all finite, else 0. The attention kernels take
 * it for their values: finite values let masked keys go through p·v with p = 0 (0 · v = 0); otherwise the
 * steps with masked keys select them away (0 · NaN would be NaN).
 */
export function allFinite(x: usize, n: i32): i32 {
  const expMask = i32x4.splat(0x7f800000);
  let bad = i32x4.splat(0);
  for (let i = 0; i < n; i += 4)
    bad = v128.or(bad, i32x4.eq(v128.and(v128.load(x + ((<usize>i) << 2)), expMask), expMask));
  return v128.any_true(bad) ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------------------
// exp2 on 4 lanes: 2^x = 2^n · 2^f with n = round(x), |f| ≤ ½, 2^f by a degree-5 minimax polynomial
// (relative error 7.5e-8, 2.5e-7 with float32 rounding: about 2 ulp). Lanes below −126 (including −∞:
// masked scores) give exactly 0; NaN lanes stay NaN (the `pmax` clamp keeps a NaN first operand and `lt`
// is false for it), which is how a visible NaN score reaches its row's sum. Rounding adds and subtracts
// 1.5·2²³ (the sum's low mantissa bits are then n, so 2^n's exponent field is one integer add and shift
// away), and the clamp is `pmax` (one maxps): `nearest`, `trunc_sat` and IEEE `max` cost V8 a dozen
// instructions more per call. Valid for x ≤ 127, which holds: the kernels only exponentiate s − max ≤ 0.

export function exp2v(x: v128): v128 {
  const lo = f32x4.splat(-126.0);
  const magic = f32x4.splat(12582912.0);
  const xc = f32x4.pmax(x, lo);
  const t = f32x4.add(xc, magic);
  const f = f32x4.sub(xc, f32x4.sub(t, magic));
  // Estrin's scheme: three independent pairs, then two steps (a short dependency chain, so the loop's
  // iterations overlap in the CPU).
  const f2 = f32x4.mul(f, f);
  const p01 = madd(f, f32x4.splat(0.693146944), f32x4.splat(1.00000012));
  const p23 = madd(f, f32x4.splat(0.0555071309), f32x4.splat(0.240221202));
  const p45 = madd(f, f32x4.splat(0.00132764713), f32x4.splat(0.00967554189));
  const p = madd(f2, madd(f2, p45, p23), p01);
  const e = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, e), f32x4.lt(x, lo));
}

/**
 * `a·b + c` on 4 lanes. The `kernels-relaxed.wasm` build (`--enable relaxed-simd`) emits relaxed SIMD's
 * `f32x4.relaxed_madd`, a fused multiply-add where the CPU has one (FMA3 on x86-64: one rounding instead of
 * two, half the arithmetic instructions of the dot products); `kernels.wasm` emits `mul` then `add`.
 * Binaryen's -O3 inlines it (no call is left in either build).
 */
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** out[i] = 2^x[i] for n values (a multiple of 4) by the kernels' exp2 (exported for its accuracy test). */
export function exp2Batch(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) v128.store(out + ((<usize>i) << 2), exp2v(v128.load(x + ((<usize>i) << 2))));
}

function exp2s(x: f32): f32 {
  return f32x4.extract_lane(exp2v(f32x4.splat(x)), 0);
}

// ---------------------------------------------------------------------------------------------------------
// Layouts. q: [planes][qLen][dp]; v: [kvPlanes][kvLen][dvp]; out: [planes][qLen][dvp] (dp, dvp multiples
// of 8, zero-padded). Keys are packed by `packKeys` into kp: [kvPlanes][⌈kvLen/8⌉][dp][8], so the q·kᵀ loop
// reads 8 keys of one dimension as two contiguous vectors.

/** Packs keys [planes][kvLen][dp] into kp [planes][⌈kvLen/8⌉][dp][8] (padding keys are 0). */
export function packKeys(k: usize, kp: usize, planes: i32, kvLen: i32, dp: i32): void {
  const chunks = (kvLen + 7) >> 3;
  for (let p = 0; p < planes; p++) {
    const src = k + <usize>p * <usize>kvLen * <usize>dp * 4;
    const dst = kp + <usize>p * <usize>chunks * <usize>dp * 32;
    for (let c = 0; c < chunks; c++) {
      const cb = dst + <usize>c * <usize>dp * 32;
      for (let lane = 0; lane < 8; lane++) {
        const key = c * 8 + lane;
        const row = src + <usize>key * <usize>dp * 4;
        if (key < kvLen) {
          for (let dd = 0; dd < dp; dd++)
            store<f32>(cb + (((<usize>dd) << 3) + lane) * 4, load<f32>(row + ((<usize>dd) << 2)));
        } else {
          for (let dd = 0; dd < dp; dd++) store<f32>(cb + (((<usize>dd) << 3) + lane) * 4, 0);
        }
      }
    }
  }
}

// Scratch of one thread: s [R][SCORE_TILE] (scores, then probabilities), ok [R][SCORE_TILE] (lane masks
// of a masked step: all ones where row r may see the key), then per tile of a work item: qs [R][dp]
// (scaled queries), o [R][dvp] (unnormalised output), m [R] (running max, log2 domain), l [R] (running
// sum; NaN once a visible score was NaN), seen [R] (1 once a visible key was met while m was −∞).
// `selectTile` points qsPtr/oPtr/mPtr/lPtr/seenPtr at one tile's state.
let sPtr: usize = 0;
let okPtr: usize = 0;
let tilesPtr: usize = 0;
let tileStride: usize = 0;
let qsPtr: usize = 0;
let oPtr: usize = 0;
let mPtr: usize = 0;
let lPtr: usize = 0;
let seenPtr: usize = 0;
/** Whether the current call's values are all finite (see {@link allFinite}). */
let valuesFinite: bool = true;

function setScratch(scratch: usize, dp: i32, dvp: i32): void {
  sPtr = (scratch + 15) & ~(<usize>15);
  okPtr = sPtr + <usize>(R * SCORE_TILE * 4);
  tilesPtr = okPtr + <usize>(R * SCORE_TILE * 4);
  tileStride = <usize>tileBytes(dp, dvp);
}

function selectTile(i: i32, dp: i32, dvp: i32): void {
  qsPtr = tilesPtr + <usize>i * tileStride;
  oPtr = qsPtr + <usize>(R * dp * 4);
  mPtr = oPtr + <usize>(R * dvp * 4);
  lPtr = mPtr + <usize>(R * 4);
  seenPtr = lPtr + <usize>(R * 4);
}

/**
 * Threads take tiles from a shared counter (an atomic fetch-and-add): work is balanced whatever each tile
 * costs (causal rows, uneven block lists) and however the OS schedules the threads. The caller zeroes it.
 */
export function nextTile(counter: usize): i32 {
  return atomic.add<i32>(counter, 1);
}

/**
 * Starts a query tile: scaled queries stored dimension-major, qs[dd][r] (rows past `rows` are 0), so the
 * q·kᵀ loop reads the tile's 4 rows of one dimension at one pointer with constant offsets; m = −∞, l = 0,
 * o = 0.
 */
function beginTile(qRow0: usize, rows: i32, dp: i32, dvp: i32, scale: f32): void {
  for (let r = 0; r < R; r++) {
    const src = qRow0 + <usize>(r * dp * 4);
    for (let dd = 0; dd < dp; dd++)
      store<f32>(
        qsPtr + <usize>((dd * R + r) * 4),
        r < rows ? load<f32>(src + ((<usize>dd) << 2)) * scale : 0,
      );
    for (let dd = 0; dd < dvp; dd += 4) v128.store(oPtr + <usize>((r * dvp + dd) * 4), f32x4.splat(0));
    store<f32>(mPtr + <usize>(r * 4), NEG_INF);
    store<f32>(lPtr + <usize>(r * 4), 0);
    store<i32>(seenPtr + <usize>(r * 4), 0);
  }
}

/**
 * Writes out[row] = o / l for the tile's rows, and the row's natural log-sum-exp of its visible scaled
 * scores, lse[row] = (m + log2 l)·ln 2 (the backward recomputes the probabilities from it). The NaN rule of
 * the float64 reference: l is NaN when a visible score was NaN (the row is NaN, and so is its lse); l = 0
 * means the running max never left −∞, so the row either has no allowed key (0, lse −∞) or saw only −∞
 * scores (the reference's exp(−∞ − (−∞)) is NaN: lse NaN).
 */
function endTile(outRow0: usize, lseRow0: usize, rows: i32, dvp: i32): void {
  for (let r = 0; r < rows; r++) {
    const l = load<f32>(lPtr + <usize>(r * 4));
    const seen = load<i32>(seenPtr + <usize>(r * 4)) !== 0;
    const m = <f64>load<f32>(mPtr + <usize>(r * 4));
    const lse: f64 = l !== 0 ? (m + Math.log2(<f64>l)) * Math.LN2 : seen ? NaN : -Infinity;
    store<f32>(lseRow0 + <usize>(r * 4), <f32>lse);
    const inv = f32x4.splat(l !== 0 ? <f32>1 / l : seen ? <f32>NaN : <f32>0);
    const dst = outRow0 + <usize>(r * dvp * 4);
    const src = oPtr + <usize>(r * dvp * 4);
    for (let dd = 0; dd < dvp; dd += 4)
      v128.store(dst + ((<usize>dd) << 2), f32x4.mul(v128.load(src + ((<usize>dd) << 2)), inv));
  }
}

/**
 * One online-softmax step of the current tile over keys [k0, k1) (k1 − (k0 & ~7) ≤ SCORE_TILE). Scores
 * are computed for the aligned chunks covering the range; when `exact` is false every score is checked:
 * key in range, key ≤ causalLimit + r (row r of the tile), and the bit of the partial block's bitmask.
 */
function stepKeys(
  kpPlane: usize,
  vPlane: usize,
  dp: i32,
  dvp: i32,
  k0: i32,
  k1: i32,
  exact: bool,
  causalLimit: i32,
  maskRows: usize,
  maskWords: i32,
  maskKey0: i32,
): void {
  const a0 = k0 & ~7;
  const width = k1 - a0;
  const chunks = (width + 7) >> 3;
  // Scores s[r][j] = qs[r] · k[a0 + j] (already scaled by scale·log2 e).
  for (let c = 0; c < chunks; c++) {
    const kb = kpPlane + ((<usize>((a0 >> 3) + c) * <usize>dp) << 5);
    let a00 = f32x4.splat(0),
      a01 = f32x4.splat(0),
      a10 = f32x4.splat(0),
      a11 = f32x4.splat(0);
    let a20 = f32x4.splat(0),
      a21 = f32x4.splat(0),
      a30 = f32x4.splat(0),
      a31 = f32x4.splat(0);
    // One dimension per iteration: two key vectors, then each row's broadcast query value (8 accumulators,
    // 2 keys, 1 broadcast, 1 product). Unrolling further made V8 schedule all the loads first and spill.
    let kk = kb;
    let qq = qsPtr;
    const qEnd = qsPtr + ((<usize>dp) << 4);
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
    const sb = sPtr + ((<usize>c) << 5);
    v128.store(sb, a00);
    v128.store(sb, a01, 16);
    v128.store(sb + <usize>(SCORE_TILE * 4), a10);
    v128.store(sb + <usize>(SCORE_TILE * 4), a11, 16);
    v128.store(sb + <usize>(SCORE_TILE * 8), a20);
    v128.store(sb + <usize>(SCORE_TILE * 8), a21, 16);
    v128.store(sb + <usize>(SCORE_TILE * 12), a30);
    v128.store(sb + <usize>(SCORE_TILE * 12), a31, 16);
  }
  const padded = chunks << 3;
  if (!exact) {
    // Four keys at a time: the range test on lanes, and the four keys' bits of the partial block's bitmask
    // (one 64-bit load covers them wherever they sit in a word) spread onto lanes.
    const lane = i32x4(0, 1, 2, 3);
    const laneBit = i32x4(1, 2, 4, 8);
    const lov = i32x4.splat(k0);
    for (let r = 0; r < R; r++) {
      const srow = sPtr + <usize>(r * SCORE_TILE * 4);
      const okRow = okPtr + <usize>(r * SCORE_TILE * 4);
      const hiv = i32x4.splat(min(k1 - 1, causalLimit + r));
      const bits = maskRows + <usize>(r * maskWords * 4);
      for (let j = 0; j < padded; j += 4) {
        const key = a0 + j;
        const keys = i32x4.add(i32x4.splat(key), lane);
        let ok = v128.and(i32x4.ge_s(keys, lov), i32x4.le_s(keys, hiv));
        if (maskRows !== 0) {
          const col = key - maskKey0;
          let b4 = 0;
          if (col >= 0) {
            const w = col >> 5;
            const at = bits + ((<usize>w) << 2);
            const word: u64 = w + 1 < maskWords ? load<u64>(at) : <u64>load<u32>(at);
            b4 = <i32>(word >>> <u64>(col & 31)) & 15;
          } else {
            // Keys before the block (col < 0) are out of range anyway: only the others' bits matter.
            for (let i = 0; i < 4; i++) {
              const ci = col + i;
              if (ci >= 0)
                b4 |= (<i32>((load<u32>(bits + ((<usize>(ci >> 5)) << 2)) >>> (<u32>ci & 31)) & 1)) << i;
            }
          }
          ok = v128.and(ok, i32x4.ne(v128.and(i32x4.splat(b4), laneBit), i32x4.splat(0)));
        }
        const at = srow + ((<usize>j) << 2);
        // A select, not an add: a masked NaN score must vanish.
        v128.store(at, v128.bitselect(v128.load(at), f32x4.splat(NEG_INF), ok));
        v128.store(okRow + ((<usize>j) << 2), ok);
      }
    }
  }
  // Online softmax (Milakov & Gimelshein 2018; FlashAttention, Dao et al. 2022), in the log2 domain.
  for (let r = 0; r < R; r++) {
    const srow = sPtr + <usize>(r * SCORE_TILE * 4);
    let mv = f32x4.splat(NEG_INF);
    for (let j = 0; j < padded; j += 4) mv = f32x4.pmax(mv, v128.load(srow + ((<usize>j) << 2)));
    const mx = max(
      max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
      max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)),
    );
    const mOld = load<f32>(mPtr + <usize>(r * 4));
    const mNew = max(mOld, mx);
    if (mNew === NEG_INF) {
      // No finite or +∞ score in the row yet (rare: a masked row, or NaN / −∞ scores, which `pmax` skips).
      // The NaN rule is settled here, off the hot path: a visible NaN score makes the row NaN (l = NaN
      // stays NaN), and a visible key is remembered (a row of only −∞ scores is NaN, see endTile).
      const okRow = okPtr + <usize>(r * SCORE_TILE * 4);
      let nan = i32x4.splat(0);
      let visible = exact ? i32x4.splat(-1) : i32x4.splat(0);
      for (let j = 0; j < padded; j += 4) {
        const s = v128.load(srow + ((<usize>j) << 2));
        nan = v128.or(nan, f32x4.ne(s, s));
        if (!exact) visible = v128.or(visible, v128.load(okRow + ((<usize>j) << 2)));
        v128.store(srow + ((<usize>j) << 2), f32x4.splat(0));
      }
      if (v128.any_true(nan)) store<f32>(lPtr + <usize>(r * 4), <f32>NaN);
      if (v128.any_true(visible)) store<i32>(seenPtr + <usize>(r * 4), 1);
      continue;
    }
    const mvNew = f32x4.splat(mNew);
    let sum = f32x4.splat(0);
    for (let j = 0; j < padded; j += 4) {
      const p = exp2v(f32x4.sub(v128.load(srow + ((<usize>j) << 2)), mvNew));
      v128.store(srow + ((<usize>j) << 2), p);
      sum = f32x4.add(sum, p);
    }
    const total =
      f32x4.extract_lane(sum, 0) +
      f32x4.extract_lane(sum, 1) +
      (f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3));
    const alpha: f32 = mOld === NEG_INF ? 0 : exp2s(mOld - mNew);
    store<f32>(lPtr + <usize>(r * 4), load<f32>(lPtr + <usize>(r * 4)) * alpha + total);
    store<f32>(mPtr + <usize>(r * 4), mNew);
    if (alpha !== 1) {
      const av = f32x4.splat(alpha);
      const orow = oPtr + <usize>(r * dvp * 4);
      for (let dd = 0; dd < dvp; dd += 4)
        v128.store(orow + ((<usize>dd) << 2), f32x4.mul(v128.load(orow + ((<usize>dd) << 2)), av));
    }
  }
  if (!exact && !valuesFinite) {
    accumulateVisibleValues(vPlane, dvp, a0, k0, k1);
    return;
  }
  // o[r] += Σ_j p[r][j] · v[j] over keys [k0, k1) (p is 0 for the masked ones, and the values are finite
  // or every key is visible: no 0 · NaN).
  for (let dc = 0; dc < dvp; dc += 8) {
    let a00 = f32x4.splat(0),
      a01 = f32x4.splat(0),
      a10 = f32x4.splat(0),
      a11 = f32x4.splat(0);
    let a20 = f32x4.splat(0),
      a21 = f32x4.splat(0),
      a30 = f32x4.splat(0),
      a31 = f32x4.splat(0);
    let vb = vPlane + (<usize>k0 * <usize>dvp + <usize>dc) * 4;
    const vStride = (<usize>dvp) << 2;
    // One pointer into the score rows, with the other rows at constant offsets (SCORE_TILE·4 bytes apart).
    let sp = sPtr + ((<usize>(k0 - a0)) << 2);
    const sEnd = sPtr + ((<usize>(k1 - a0)) << 2);
    while (sp < sEnd) {
      const v0 = v128.load(vb);
      const v1 = v128.load(vb, 16);
      let x = v128.load32_splat(sp);
      a00 = madd(x, v0, a00);
      a01 = madd(x, v1, a01);
      x = v128.load32_splat(sp, SCORE_TILE * 4);
      a10 = madd(x, v0, a10);
      a11 = madd(x, v1, a11);
      x = v128.load32_splat(sp, SCORE_TILE * 8);
      a20 = madd(x, v0, a20);
      a21 = madd(x, v1, a21);
      x = v128.load32_splat(sp, SCORE_TILE * 12);
      a30 = madd(x, v0, a30);
      a31 = madd(x, v1, a31);
      vb += vStride;
      sp += 4;
    }
    const o0 = oPtr + ((<usize>dc) << 2);
    const o1 = o0 + <usize>(dvp * 4),
      o2 = o0 + <usize>(dvp * 8),
      o3 = o0 + <usize>(dvp * 12);
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
 * p·v of a masked step whose values hold NaN or ±∞: like the loop at the end of {@link stepKeys}, but each
 * row's product is selected by its lane mask (ok), so a masked key's value never reaches the row even when
 * it is NaN (0 · NaN = NaN). Only calls whose values are not all finite come here.
 */
function accumulateVisibleValues(vPlane: usize, dvp: i32, a0: i32, k0: i32, k1: i32): void {
  const rowBytes = SCORE_TILE * 4;
  for (let dc = 0; dc < dvp; dc += 8) {
    let a00 = f32x4.splat(0),
      a01 = f32x4.splat(0),
      a10 = f32x4.splat(0),
      a11 = f32x4.splat(0);
    let a20 = f32x4.splat(0),
      a21 = f32x4.splat(0),
      a30 = f32x4.splat(0),
      a31 = f32x4.splat(0);
    let vb = vPlane + (<usize>k0 * <usize>dvp + <usize>dc) * 4;
    const vStride = (<usize>dvp) << 2;
    let sp = sPtr + ((<usize>(k0 - a0)) << 2);
    let op = okPtr + ((<usize>(k0 - a0)) << 2);
    const sEnd = sPtr + ((<usize>(k1 - a0)) << 2);
    while (sp < sEnd) {
      const v0 = v128.load(vb);
      const v1 = v128.load(vb, 16);
      let x = v128.load32_splat(sp);
      let m = v128.load32_splat(op);
      a00 = v128.bitselect(madd(x, v0, a00), a00, m);
      a01 = v128.bitselect(madd(x, v1, a01), a01, m);
      x = v128.load32_splat(sp, rowBytes);
      m = v128.load32_splat(op, rowBytes);
      a10 = v128.bitselect(madd(x, v0, a10), a10, m);
      a11 = v128.bitselect(madd(x, v1, a11), a11, m);
      x = v128.load32_splat(sp, rowBytes * 2);
      m = v128.load32_splat(op, rowBytes * 2);
      a20 = v128.bitselect(madd(x, v0, a20), a20, m);
      a21 = v128.bitselect(madd(x, v1, a21), a21, m);
      x = v128.load32_splat(sp, rowBytes * 3);
      m = v128.load32_splat(op, rowBytes * 3);
      a30 = v128.bitselect(madd(x, v0, a30), a30, m);
      a31 = v128.bitselect(madd(x, v1, a31), a31, m);
      vb += vStride;
      sp += 4;
      op += 4;
    }
    const o0 = oPtr + ((<usize>dc) << 2);
    const o1 = o0 + <usize>(dvp * 4),
      o2 = o0 + <usize>(dvp * 8),
      o3 = o0 + <usize>(dvp * 12);
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
 * Dense attention, flash-style: every work item (32 query rows of a plane, taken from `counter`) walks
 * the keys in steps of SCORE_TILE with an online softmax; causal tiles stop at their last visible key
 * (bottom-right aligned: row i sees keys ≤ i + kvLen − qLen). Planes are batch·heads; query plane p uses
 * key/value plane ⌊p / group⌋ (grouped-query attention). `scale` already includes log2 e. `vFinite`: 1
 * when the values are all finite ({@link allFinite}). NaN rule as the float64 reference (see endTile).
 * `lse` [planes][qLen] receives each row's natural log-sum-exp (for the backward, {@link attentionBackward}).
 */
export function attention(
  q: usize,
  kp: usize,
  v: usize,
  out: usize,
  lse: usize,
  planes: i32,
  group: i32,
  qLen: i32,
  kvLen: i32,
  dp: i32,
  dvp: i32,
  scale: f32,
  causal: i32,
  vFinite: i32,
  counter: usize,
  scratch: usize,
): void {
  setScratch(scratch, dp, dvp);
  valuesFinite = vFinite !== 0;
  const rowsPerItem = R * DENSE_TILES;
  const itemsPerPlane = (qLen + rowsPerItem - 1) / rowsPerItem;
  const chunks = (kvLen + 7) >> 3;
  const shift = kvLen - qLen;
  const total = planes * itemsPerPlane;
  for (let t = nextTile(counter); t < total; t = nextTile(counter)) {
    const plane = t / itemsPerPlane;
    const r0 = (t - plane * itemsPerPlane) * rowsPerItem;
    const tiles = min(DENSE_TILES, (qLen - r0 + R - 1) / R);
    const kvPlane = plane / group;
    const kpPlane = kp + <usize>kvPlane * <usize>chunks * <usize>dp * 32;
    const vPlane = v + <usize>kvPlane * <usize>kvLen * <usize>dvp * 4;
    let kEndMax = 0;
    for (let i = 0; i < tiles; i++) {
      const row0 = r0 + i * R;
      const rows = min(R, qLen - row0);
      selectTile(i, dp, dvp);
      beginTile(q + (<usize>plane * <usize>qLen + <usize>row0) * <usize>dp * 4, rows, dp, dvp, scale);
      kEndMax = max(kEndMax, causal !== 0 ? min(kvLen, row0 + rows - 1 + shift + 1) : kvLen);
    }
    // Key blocks outside, query tiles inside: a block of K and V is loaded once per 32 query rows.
    for (let k0 = 0; k0 < kEndMax; k0 += SCORE_TILE) {
      for (let i = 0; i < tiles; i++) {
        const row0 = r0 + i * R;
        const rows = min(R, qLen - row0);
        const kEnd = causal !== 0 ? min(kvLen, row0 + rows - 1 + shift + 1) : kvLen;
        if (k0 >= kEnd) continue;
        const limit = causal !== 0 ? row0 + shift : i32.MAX_VALUE - R;
        const k1 = min(k0 + SCORE_TILE, kEnd);
        const exact = ((k1 - k0) & 7) === 0 && (causal === 0 || k1 - 1 <= limit);
        selectTile(i, dp, dvp);
        stepKeys(kpPlane, vPlane, dp, dvp, k0, k1, exact, limit, 0, 0, 0);
      }
    }
    for (let i = 0; i < tiles; i++) {
      const row0 = r0 + i * R;
      selectTile(i, dp, dvp);
      const at = <usize>plane * <usize>qLen + <usize>row0;
      endTile(out + at * <usize>dvp * 4, lse + (at << 2), min(R, qLen - row0), dvp);
    }
  }
}

/**
 * Block-sparse attention over a compiled block mask. `lists` holds, per mask row (mask plane × query
 * block), the visited key blocks in ascending order as (block, partial-mask index or −1) pairs of i32;
 * `listStarts[row]..listStarts[row + 1]` delimit them (pairs). `masks` is [P][bs][words] of u32 bitmasks.
 * A work item is one query block (its 4-row tiles share the list); unlisted key blocks are never touched.
 * Scratch must hold ⌈bs / 4⌉ tiles. `vFinite` and `lse` as in {@link attention}.
 */
export function blockSparseAttention(
  q: usize,
  kp: usize,
  v: usize,
  out: usize,
  lse: usize,
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
  listStarts: usize,
  lists: usize,
  masks: usize,
  words: i32,
  vFinite: i32,
  counter: usize,
  scratch: usize,
): void {
  setScratch(scratch, dp, dvp);
  valuesFinite = vFinite !== 0;
  const qBlocks = (qLen + bs - 1) / bs;
  const chunks = (kvLen + 7) >> 3;
  const total = batch * heads * qBlocks;
  const span = SCORE_TILE - 8;
  for (let t = nextTile(counter); t < total; t = nextTile(counter)) {
    const plane = t / qBlocks;
    const qb = t - plane * qBlocks;
    const blockRows = min(bs, qLen - qb * bs);
    const tiles = (blockRows + R - 1) / R;
    const b = plane / heads;
    const h = plane - b * heads;
    const maskRow = ((maskBatch === 1 ? 0 : b) * maskHeads + (maskHeads === 1 ? 0 : h)) * qBlocks + qb;
    const kvPlane = plane / group;
    const kpPlane = kp + <usize>kvPlane * <usize>chunks * <usize>dp * 32;
    const vPlane = v + <usize>kvPlane * <usize>kvLen * <usize>dvp * 4;
    for (let i = 0; i < tiles; i++) {
      selectTile(i, dp, dvp);
      const row0 = qb * bs + i * R;
      beginTile(
        q + (<usize>plane * <usize>qLen + <usize>row0) * <usize>dp * 4,
        min(R, blockRows - i * R),
        dp,
        dvp,
        scale,
      );
    }
    const e0 = load<i32>(listStarts + ((<usize>maskRow) << 2));
    const e1 = load<i32>(listStarts + ((<usize>(maskRow + 1)) << 2));
    // Listed key blocks outside, the query block's tiles inside (they share the list and reuse K/V from cache).
    for (let e = e0; e < e1; e++) {
      const blk = load<i32>(lists + ((<usize>e) << 3));
      const mi = load<i32>(lists + ((<usize>e) << 3), 4);
      const kStart = blk * bs;
      const kStop = min(kvLen, kStart + bs);
      for (let k0 = kStart; k0 < kStop; k0 += span) {
        const k1 = min(k0 + span, kStop);
        const exact = mi < 0 && (k0 & 7) === 0 && ((k1 - k0) & 7) === 0;
        for (let i = 0; i < tiles; i++) {
          const maskRows: usize =
            mi < 0 ? <usize>0 : masks + (((<usize>mi * <usize>bs + <usize>(i * R)) * <usize>words) << 2);
          selectTile(i, dp, dvp);
          stepKeys(kpPlane, vPlane, dp, dvp, k0, k1, exact, i32.MAX_VALUE - R, maskRows, words, kStart);
        }
      }
    }
    for (let i = 0; i < tiles; i++) {
      const row0 = qb * bs + i * R;
      selectTile(i, dp, dvp);
      const at = <usize>plane * <usize>qLen + <usize>row0;
      endTile(out + at * <usize>dvp * 4, lse + (at << 2), min(R, blockRows - i * R), dvp);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ternary matrix products (BitNet b1.58): integer sums, exact.

/** The sum of an i32x4's four lanes. */
function sumLanes(v: v128): i32 {
  return (
    i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3)
  );
}

// tq1 (5 base-3 digits per byte) by table: each packed byte maps to its ternary values as i16 lanes, and
// i32x4.dot_i16x8_s multiplies 8 of them with 8 int16 activations and adds pairs.

/** Fills the tq1 decoding table at `lut`: 256 × 8 i16 (5 base-3 digits − 1, then 3 zero lanes). Same digit
 * formula as core's reference, so bytes that never come out of a packer (≥ 243) decode identically. */
export function fillTernaryTable(lut: usize): void {
  for (let byte = 0; byte < 256; byte++) {
    let f = byte;
    for (let i = 0; i < 8; i++) {
      let t = 0;
      if (i < 5) {
        const next = f / 3;
        t = f - 3 * next - 1;
        f = next;
      }
      store<i16>(lut + <usize>((byte * 8 + i) * 2), <i16>t);
    }
  }
}

/** Activations int32 [m][k] → int16 [m][kPad] in tq1's lane order: byte g holds weights 5g..5g+4 → lanes
 * 8g..8g+4; lanes 8g+5..8g+7 and lanes past k are 0. */
export function prepareTernaryActivations(src: usize, dst: usize, m: i32, k: i32, kPad: i32): void {
  for (let row = 0; row < m; row++) {
    const s = src + <usize>row * <usize>k * 4;
    const d = dst + <usize>row * <usize>kPad * 2;
    for (let j = 0; j < kPad; j++) {
      const g = j >> 3;
      const lane = j & 7;
      const w = g * 5 + lane;
      store<i16>(d + ((<usize>j) << 1), lane < 5 && w < k ? <i16>load<i32>(s + ((<usize>w) << 2)) : 0);
    }
  }
}

/**
 * out[row][col] = f32(Σ_k a[row][k]·t[k][col]) · activationScales[row] · weightScale for tq1 weights
 * `[n][words]` packed rows and activations from prepareTernaryActivations.
 */
export function ternaryMatMul(
  act: usize,
  weights: usize,
  lut: usize,
  out: usize,
  scales: usize,
  weightScale: f32,
  m: i32,
  n: i32,
  words: i32,
  kPad: i32,
): void {
  const bytes = words * 4;
  for (let row = 0; row < m; row++) {
    const a = act + <usize>row * <usize>kPad * 2;
    const rowScale = load<f32>(scales + ((<usize>row) << 2));
    for (let col = 0; col < n; col++) {
      const w = weights + <usize>col * <usize>words * 4;
      let acc0 = i32x4.splat(0);
      let acc1 = i32x4.splat(0);
      for (let g = 0; g < bytes; g += 2) {
        const ap = a + ((<usize>g) << 4);
        acc0 = i32x4.add(
          acc0,
          i32x4.dot_i16x8_s(v128.load(lut + ((<usize>load<u8>(w + <usize>g)) << 4)), v128.load(ap)),
        );
        if (g + 1 < bytes) {
          acc1 = i32x4.add(
            acc1,
            i32x4.dot_i16x8_s(v128.load(lut + ((<usize>load<u8>(w + <usize>g, 1)) << 4)), v128.load(ap, 16)),
          );
        }
      }
      const sum = sumLanes(i32x4.add(acc0, acc1));
      store<f32>(out + ((<usize>row * <usize>n + <usize>col) << 2), <f32>sum * rowScale * weightScale);
    }
  }
}

// i2s without a table: 64 weights (16 packed bytes) at a time, the four 2-bit codes of every byte shifted and
// masked onto lanes. Activations are laid out to match: per group g of 64 weights and per shift k (0..3),
// 16 lanes with lane B = a[64g + 4B + k] (the weight in bits 2k of byte B). Codes are t + 1 ∈ {0, 1, 2}, so
// Σ t·a = Σ code·a − Σ a, with Σ a computed once per row.

/**
 * Activations int32 [m][k] → [m][groups][4][16] lanes of i8 (`bytes` 1, relaxed-SIMD build) or i16 (`bytes`
 * 2), zeros past k, and `sums[row]` = Σ a. Callers check that i8 lanes hold the values.
 */
export function prepareI2sActivations(
  src: usize,
  dst: usize,
  sums: usize,
  m: i32,
  k: i32,
  groups: i32,
  bytes: i32,
): void {
  for (let row = 0; row < m; row++) {
    const s = src + <usize>row * <usize>k * 4;
    const d = dst + <usize>row * <usize>groups * <usize>(64 * bytes);
    let total = 0;
    for (let g = 0; g < groups; g++) {
      for (let kk = 0; kk < 4; kk++) {
        for (let b = 0; b < 16; b++) {
          const j = 64 * g + 4 * b + kk;
          const v = j < k ? load<i32>(s + ((<usize>j) << 2)) : 0;
          total += v;
          const at = d + <usize>((g * 64 + kk * 16 + b) * bytes);
          if (bytes === 1) store<i8>(at, <i8>v);
          else store<i16>(at, <i16>v);
        }
      }
    }
    store<i32>(sums + ((<usize>row) << 2), total);
  }
}

/**
 * out[row][col] = f32(Σ_k a[row][k]·t[k][col]) · activationScales[row] · weightScale for i2s weights
 * [n][words] (read 16 bytes at a time: the caller leaves 16 bytes after the last row) and activations from
 * {@link prepareI2sActivations}. `bytes` 2: i16 lanes, `i32x4.dot_i16x8_s` (pmaddwd); `bytes` 1 (relaxed-SIMD
 * build only): i8 lanes, `i16x8.relaxed_dot_i8x16_i7x16_s` (codes are the 7-bit operand). Exact
 * integer sums either way.
 */
export function ternaryMatMulI2s(
  act: usize,
  weights: usize,
  sums: usize,
  out: usize,
  scales: usize,
  weightScale: f32,
  m: i32,
  n: i32,
  words: i32,
  groups: i32,
  bytes: i32,
): void {
  const three16 = i16x8.splat(3);
  const three8 = i8x16.splat(3);
  for (let row = 0; row < m; row++) {
    const a = act + <usize>row * <usize>groups * <usize>(64 * bytes);
    const rowScale = load<f32>(scales + ((<usize>row) << 2));
    const sumA = load<i32>(sums + ((<usize>row) << 2));
    for (let col = 0; col < n; col++) {
      let w = weights + <usize>col * <usize>words * 4;
      const wEnd = w + ((<usize>groups) << 4);
      let ap = a;
      let acc0 = i32x4.splat(0);
      let acc1 = i32x4.splat(0);
      if (ASC_FEATURE_RELAXED_SIMD && bytes === 1) {
        // i16x8.relaxed_dot_i8x16_i7x16_s (pmaddubsw): pairs of products as i16 (|·| ≤ 2·3·128), four of
        // them summed in i16 (≤ 3072), then widened pairwise. Not i32x4.relaxed_dot_i8x16_i7x16_add_s: Node
        // 20's V8 (11.3) returns twice the dot product for it.
        while (w < wEnd) {
          const wv = v128.load(w);
          let d = i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(ap), v128.and(wv, three8));
          d = i16x8.add(
            d,
            i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(ap, 16), v128.and(i16x8.shr_u(wv, 2), three8)),
          );
          d = i16x8.add(
            d,
            i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(ap, 32), v128.and(i16x8.shr_u(wv, 4), three8)),
          );
          d = i16x8.add(
            d,
            i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(ap, 48), v128.and(i16x8.shr_u(wv, 6), three8)),
          );
          acc0 = i32x4.add(acc0, i32x4.extadd_pairwise_i16x8_s(d));
          w += 16;
          ap += 64;
        }
      } else {
        while (w < wEnd) {
          const wv = v128.load(w);
          const lo = i16x8.extend_low_i8x16_u(wv);
          const hi = i16x8.extend_high_i8x16_u(wv);
          acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(v128.and(lo, three16), v128.load(ap)));
          acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(v128.and(hi, three16), v128.load(ap, 16)));
          acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(lo, 2), three16), v128.load(ap, 32)));
          acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(hi, 2), three16), v128.load(ap, 48)));
          acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(lo, 4), three16), v128.load(ap, 64)));
          acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(hi, 4), three16), v128.load(ap, 80)));
          acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(i16x8.shr_u(lo, 6), v128.load(ap, 96)));
          acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(i16x8.shr_u(hi, 6), v128.load(ap, 112)));
          w += 16;
          ap += 128;
        }
      }
      const sum = sumLanes(i32x4.add(acc0, acc1)) - sumA;
      store<f32>(out + ((<usize>row * <usize>n + <usize>col) << 2), <f32>sum * rowScale * weightScale);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rotary position embedding (RoFormer eq. 34) of x [planes][n][d] with tables [n][rotaryDim/2].

export function rope(
  x: usize,
  cos: usize,
  sin: usize,
  out: usize,
  planes: i32,
  n: i32,
  d: i32,
  rotaryDim: i32,
  interleaved: i32,
): void {
  const half = rotaryDim >> 1;
  for (let p = 0; p < planes; p++) {
    for (let row = 0; row < n; row++) {
      const base = (<usize>p * <usize>n + <usize>row) * <usize>d * 4;
      const xr = x + base;
      const or = out + base;
      const cr = cos + <usize>row * <usize>half * 4;
      const sr = sin + <usize>row * <usize>half * 4;
      if (interleaved !== 0) {
        for (let i = 0; i < half; i++) {
          const a = load<f32>(xr + ((<usize>(2 * i)) << 2));
          const b = load<f32>(xr + ((<usize>(2 * i + 1)) << 2));
          const c = load<f32>(cr + ((<usize>i) << 2));
          const s = load<f32>(sr + ((<usize>i) << 2));
          store<f32>(or + ((<usize>(2 * i)) << 2), a * c - b * s);
          store<f32>(or + ((<usize>(2 * i + 1)) << 2), a * s + b * c);
        }
      } else {
        let i = 0;
        for (; i + 4 <= half; i += 4) {
          const a = v128.load(xr + ((<usize>i) << 2));
          const b = v128.load(xr + ((<usize>(i + half)) << 2));
          const c = v128.load(cr + ((<usize>i) << 2));
          const s = v128.load(sr + ((<usize>i) << 2));
          v128.store(or + ((<usize>i) << 2), f32x4.sub(f32x4.mul(a, c), f32x4.mul(b, s)));
          v128.store(or + ((<usize>(i + half)) << 2), f32x4.add(f32x4.mul(a, s), f32x4.mul(b, c)));
        }
        for (; i < half; i++) {
          const a = load<f32>(xr + ((<usize>i) << 2));
          const b = load<f32>(xr + ((<usize>(i + half)) << 2));
          const c = load<f32>(cr + ((<usize>i) << 2));
          const s = load<f32>(sr + ((<usize>i) << 2));
          store<f32>(or + ((<usize>i) << 2), a * c - b * s);
          store<f32>(or + ((<usize>(i + half)) << 2), a * s + b * c);
        }
      }
      for (let j = rotaryDim; j < d; j++)
        store<f32>(or + ((<usize>j) << 2), load<f32>(xr + ((<usize>j) << 2)));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Causal linear attention (Katharopoulos et al. 2020, eq. 9–12) as a scan: per plane the running state
// S = Σ_{j≤i} φ(k_j) [v_j | 1]ᵀ ([f][dvp], the normaliser rides along in column dv), and
// out_i = (φ(q_i) S)[:dv] / max((φ(q_i) S)[dv], eps). v is given as [planes][n][dvp] with column dv = 1.
// normalize = 0: out_i = (φ(q_i) S)[:dv] (no ones column needed); reverse = 1: the scan runs from the last
// position, S = Σ_{j≥i} (the anti-causal sums of the backward pass).

export function causalLinearAttention(
  phiQ: usize,
  phiK: usize,
  v: usize,
  out: usize,
  state: usize,
  n: i32,
  f: i32,
  dv: i32,
  dvp: i32,
  eps: f32,
  planeStart: i32,
  planeStep: i32,
  planes: i32,
  normalize: i32,
  reverse: i32,
): void {
  for (let p = planeStart; p < planes; p += planeStep) {
    for (let i = 0; i < f * dvp; i += 4) v128.store(state + ((<usize>i) << 2), f32x4.splat(0));
    const qp = phiQ + <usize>p * <usize>n * <usize>f * 4;
    const kp = phiK + <usize>p * <usize>n * <usize>f * 4;
    const vp = v + <usize>p * <usize>n * <usize>dvp * 4;
    const op = out + <usize>p * <usize>n * <usize>dv * 4;
    for (let step = 0; step < n; step++) {
      const i = reverse ? n - 1 - step : step;
      const vr = vp + <usize>i * <usize>dvp * 4;
      const kr = kp + <usize>i * <usize>f * 4;
      const qr = qp + <usize>i * <usize>f * 4;
      for (let fi = 0; fi < f; fi++) {
        const kv = v128.load32_splat(kr + ((<usize>fi) << 2));
        const sr = state + <usize>fi * <usize>dvp * 4;
        for (let c = 0; c < dvp; c += 4) {
          const at = sr + ((<usize>c) << 2);
          v128.store(at, madd(kv, v128.load(vr + ((<usize>c) << 2)), v128.load(at)));
        }
      }
      // num and den into the scratch row after the state.
      const acc = state + <usize>f * <usize>dvp * 4;
      for (let c = 0; c < dvp; c += 4) v128.store(acc + ((<usize>c) << 2), f32x4.splat(0));
      for (let fi = 0; fi < f; fi++) {
        const qv = v128.load32_splat(qr + ((<usize>fi) << 2));
        const sr = state + <usize>fi * <usize>dvp * 4;
        for (let c = 0; c < dvp; c += 4) {
          const at = acc + ((<usize>c) << 2);
          v128.store(at, madd(qv, v128.load(sr + ((<usize>c) << 2)), v128.load(at)));
        }
      }
      const orow = op + <usize>i * <usize>dv * 4;
      if (normalize) {
        const den = max(load<f32>(acc + ((<usize>dv) << 2)), eps);
        for (let c = 0; c < dv; c++)
          store<f32>(orow + ((<usize>c) << 2), load<f32>(acc + ((<usize>c) << 2)) / den);
      } else {
        for (let c = 0; c < dv; c++) store<f32>(orow + ((<usize>c) << 2), load<f32>(acc + ((<usize>c) << 2)));
      }
    }
  }
}
