import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { median } from '@efficient-attention/bench/median';
import {
  blockSparseAttentionKernel,
  causalLinearAttentionKernel,
  fusedAttentionKernel,
  type KernelContract,
  ternaryMatMulKernel,
  ternaryWordsPerRow,
} from '@efficient-attention/core';
import { createBlockMask, slidingWindow } from '@efficient-attention/sparse-masks';
import * as tf from '@tensorflow/tfjs-core';
import { registerWebGLKernels, registerWebGPUKernels } from '../../src/kernels/register-kernels.js';

/** One measured configuration (JSON for browser/bench.mjs). */
export interface BenchRow {
  backend: string;
  n: number;
  heads: number;
  headDim: number;
  causal: boolean;
  /** Median ms after one warm-up, output read back; undefined when the path failed. */
  fusedMs?: number;
  plainMs?: number;
  /** plainMs / fusedMs. */
  speedup?: number;
  /** max |fused − plain| (both on this backend). */
  maxDiff?: number;
  fusedError?: string;
  plainError?: string;
}

/** Block-sparse time vs visited blocks (JSON for browser/bench.mjs). */
export interface SparseRow {
  backend: string;
  n: number;
  heads: number;
  blockSize: number;
  window: number;
  /** Visited blocks / all blocks of the sliding-window mask. */
  density: number;
  sparseMs: number;
  /** The same kernel with every block visited (a window covering all keys). */
  denseMs: number;
  /** sparseMs / (density · denseMs): the target is ≤ 1.5. */
  costPerVisitedBlock: number;
}

/**
 * Where the plain path's time goes on a backend: each of its three steps timed alone on prepared inputs
 * (JSON for browser/bench.mjs). A fused kernel can save the softmax's passes and the N² round trips, not
 * the two matrix products' arithmetic, so this bounds what fusion can buy there.
 */
export interface PlainPartsRow {
  backend: string;
  n: number;
  heads: number;
  /** matMul(q·scale, kᵀ) → [1, H, N, N]. */
  scoresMs: number;
  /** softmax over the last axis of those scores. */
  softmaxMs: number;
  /** matMul(p, v). */
  valuesMs: number;
  /** (scoresMs + valuesMs) / (scoresMs + softmaxMs + valuesMs): the matrix products' share. */
  matMulShare: number;
}

/** A registered kernel vs its contract's tfjs-ops reference on the same backend (JSON for browser/bench.mjs). */
export interface ReferenceRow {
  backend: string;
  kernel: string;
  case: string;
  kernelMs: number;
  referenceMs: number;
  /** referenceMs / kernelMs. */
  speedup: number;
}

declare global {
  interface Window {
    eaBench?: {
      rows: BenchRow[];
      sparse: SparseRow[];
      versusReference: ReferenceRow[];
      plainParts?: PlainPartsRow[];
      skipped: string[];
      userAgent: string;
      done: boolean;
      fatal?: string;
    };
  }
}

registerWebGLKernels();
registerWebGPUKernels();

const params = new URLSearchParams(location.search);
const list = (name: string, fallback: string) => (params.get(name) ?? fallback).split(',').filter(Boolean);
const backends = list('backends', 'webgl,webgpu');
const sizes = list('sizes', '512,1024,2048').map(Number);
const longSizes = list('long', '16384').map(Number);
const heads = Number(params.get('heads') ?? 2);
const headDim = Number(params.get('d') ?? 64);
const reps = Number(params.get('reps') ?? 3);
const causal = params.get('causal') === '1';
const longPlain = params.get('longPlain') !== '0';
const longFused = params.get('longFused') !== '0';
const longHeadDim = Number(params.get('longD') ?? 16);
const versusReference = params.get('vsRef') !== '0';
const plainParts = params.get('parts') !== '0';

const log = document.querySelector('#log') as HTMLElement;
const say = (line: string) => {
  log.textContent += `${line}\n`;
  console.log(line);
};

/** The pinned baseline "plain tfjs ops": matMul(q, kᵀ) → softmax → matMul on 4-D tensors (no mask). */
function plain(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, scale: number, isCausal: boolean): tf.Tensor {
  return tf.tidy(() => {
    let s = tf.matMul(tf.mul(q, scale), k, false, true);
    if (isCausal) {
      const n = q.shape[2]!;
      const allowed = tf.linalg.bandPart(tf.ones([n, n]), -1, 0);
      s = tf.add(s, tf.mul(tf.sub(1, allowed), -1e30));
    }
    return tf.matMul(tf.softmax(s), v);
  });
}

/** Median ms of `runs` calls after one warm-up; with `runs` = 0, the time of one cold call. */
async function time(fn: () => tf.Tensor, runs: number): Promise<{ ms: number; out: Float32Array }> {
  const t0 = performance.now();
  const warm = fn();
  let out = (await warm.data()) as Float32Array;
  const coldMs = performance.now() - t0;
  warm.dispose();
  if (runs === 0) return { ms: coldMs, out };
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const y = fn();
    out = (await y.data()) as Float32Array;
    times.push(performance.now() - t0);
    y.dispose();
  }
  return { ms: median(times), out };
}

async function measure(
  backend: string,
  n: number,
  h: number,
  runs: number,
  { withPlain = true, withFused = true, d = headDim } = {},
): Promise<BenchRow> {
  const headDim = d;
  const row: BenchRow = { backend, n, heads: h, headDim, causal };
  const q = tf.randomNormal([1, h, n, headDim], 0, 1, 'float32', 1);
  const k = tf.randomNormal([1, h, n, headDim], 0, 1, 'float32', 2);
  const v = tf.randomNormal([1, h, n, headDim], 0, 1, 'float32', 3);
  const scale = 1 / Math.sqrt(headDim);
  let fusedOut: Float32Array | undefined;
  if (withFused) {
    try {
      const r = await time(() => fusedAttentionKernel.run({ q, k, v }, { scale, causal }), runs);
      row.fusedMs = r.ms;
      fusedOut = r.out;
    } catch (error) {
      row.fusedError = String(error);
    }
  }
  if (withPlain) {
    try {
      const r = await time(() => plain(q, k, v, scale, causal), runs);
      const bad = r.out.some((x) => !Number.isFinite(x)) || r.out.every((x) => x === 0);
      if (bad) row.plainError = 'non-finite or all-zero output (the backend failed silently)';
      else row.plainMs = r.ms;
      if (fusedOut && !bad) {
        let d = 0;
        for (let i = 0; i < fusedOut.length; i++) d = Math.max(d, Math.abs(fusedOut[i]! - r.out[i]!));
        row.maxDiff = d;
      }
    } catch (error) {
      row.plainError = String(error);
    }
  }
  if (row.fusedMs !== undefined && row.plainMs !== undefined) row.speedup = row.plainMs / row.fusedMs;
  tf.dispose([q, k, v]);
  return row;
}

/** The plain path's steps timed one by one at N = `n` (see {@link PlainPartsRow}). */
async function measurePlainParts(
  backend: string,
  n: number,
  h: number,
  runs: number,
): Promise<PlainPartsRow> {
  const q = tf.randomNormal([1, h, n, headDim], 0, 1, 'float32', 1);
  const k = tf.randomNormal([1, h, n, headDim], 0, 1, 'float32', 2);
  const v = tf.randomNormal([1, h, n, headDim], 0, 1, 'float32', 3);
  const scale = 1 / Math.sqrt(headDim);
  // Each step's N² output is read back as one element (a slice that depends on all of it): reading back
  // the whole tensor would time the download, not the step.
  const first = (x: tf.Tensor) => tf.tidy(() => tf.slice(x, [0, 0, 0, 0], [1, 1, 1, 1]));
  const scores = await time(() => tf.tidy(() => first(tf.matMul(tf.mul(q, scale), k, false, true))), runs);
  const s = tf.tidy(() => tf.matMul(tf.mul(q, scale), k, false, true));
  const softmax = await time(() => tf.tidy(() => first(tf.softmax(s))), runs);
  const p = tf.softmax(s);
  const values = await time(() => tf.tidy(() => first(tf.matMul(p, v))), runs);
  tf.dispose([q, k, v, s, p]);
  const total = scores.ms + softmax.ms + values.ms;
  return {
    backend,
    n,
    heads: h,
    scoresMs: scores.ms,
    softmaxMs: softmax.ms,
    valuesMs: values.ms,
    matMulShare: (scores.ms + values.ms) / total,
  };
}

const sparseN = Number(params.get('sparseN') ?? 2048);
const sparseWindow = Number(params.get('window') ?? 128);
const blockSize = 64;

/** Block-sparse kernel: a sliding window vs every block, same kernel, same data. */
async function measureSparse(backend: string, n: number, h: number, runs: number): Promise<SparseRow> {
  const q = tf.randomNormal([1, h, n, headDim], 0, 1, 'float32', 4);
  const k = tf.randomNormal([1, h, n, headDim], 0, 1, 'float32', 5);
  const v = tf.randomNormal([1, h, n, headDim], 0, 1, 'float32', 6);
  const attrs = { blockSize, qLen: n, kvLen: n, scale: 1 / Math.sqrt(headDim) };
  const run = async (radius: number) => {
    const mask = createBlockMask(slidingWindow({ radius }), n, n, { blockSize });
    const tensors = mask.toTensors();
    const r = await time(() => blockSparseAttentionKernel.run({ q, k, v, ...tensors }, attrs), runs);
    tf.dispose(Object.values(tensors));
    return { ms: r.ms, density: 1 - mask.sparsity() };
  };
  const sparse = await run(sparseWindow);
  const dense = await run(n);
  tf.dispose([q, k, v]);
  return {
    backend,
    n,
    heads: h,
    blockSize,
    window: sparseWindow,
    density: sparse.density,
    sparseMs: sparse.ms,
    denseMs: dense.ms,
    costPerVisitedBlock: sparse.ms / (sparse.density * dense.ms),
  };
}

type AnyContract = KernelContract<Record<string, tf.Tensor>, object>;

/** Cases of {@link measureVersusReference}: the contracts whose kernels have no plain-ops baseline above. */
function referenceCases(): Array<{
  contract: AnyContract;
  name: string;
  make: () => Record<string, tf.Tensor>;
  attrs: object;
}> {
  const ternary = (m: number, k: number, n: number, format: 'i2s' | 'tq1') => {
    const words = ternaryWordsPerRow(k, format);
    return {
      contract: ternaryMatMulKernel as unknown as AnyContract,
      name: `ternary M${m} K${k} N${n} ${format}`,
      // From typed arrays, as a model loads its weights (the webgl kernel repacks their CPU copy once).
      make: () => ({
        activations: tf.tensor2d(
          Int32Array.from({ length: m * k }, (_, i) => ((i * 37) % 255) - 127),
          [m, k],
          'int32',
        ),
        weights: tf.tensor2d(
          Int32Array.from({ length: n * words }, (_, i) => Math.imul(i, 2654435761)),
          [n, words],
          'int32',
        ),
        weightScale: tf.scalar(0.02),
        activationScales: tf.fill([m], 0.01),
      }),
      attrs: { k, n, format },
    };
  };
  const n = 2048;
  const windowMask = createBlockMask(slidingWindow({ radius: 128 }), n, n, { blockSize: 64 });
  const phi = (seed: number) => tf.add(tf.elu(tf.randomNormal([1, 2, n, 64], 0, 1, 'float32', seed)), 1);
  return [
    ternary(1, 2048, 2048, 'i2s'),
    ternary(8, 2048, 1024, 'tq1'),
    {
      contract: blockSparseAttentionKernel as unknown as AnyContract,
      name: `block-sparse N${n} H2 d64 bs64 window 128`,
      make: () => ({
        q: tf.randomNormal([1, 2, n, 64], 0, 1, 'float32', 7),
        k: tf.randomNormal([1, 2, n, 64], 0, 1, 'float32', 8),
        v: tf.randomNormal([1, 2, n, 64], 0, 1, 'float32', 9),
        ...windowMask.toTensors(),
      }),
      attrs: { blockSize: 64, qLen: n, kvLen: n, scale: 0.125 },
    },
    {
      contract: causalLinearAttentionKernel as unknown as AnyContract,
      name: `causal linear N${n} H2 F64 dv64 chunk 64`,
      make: () =>
        tf.tidy(() => ({
          phiQ: phi(10),
          phiK: phi(11),
          v: tf.randomNormal([1, 2, n, 64], 0, 1, 'float32', 12),
        })),
      attrs: { chunkSize: 64, eps: 1e-6 },
    },
  ];
}

/** Each registered kernel vs its contract's reference, same inputs, same backend. */
async function measureVersusReference(backend: string, runs: number): Promise<ReferenceRow[]> {
  const rows: ReferenceRow[] = [];
  for (const c of referenceCases()) {
    const inputs = c.make();
    const kernel = await time(() => c.contract.run(inputs, c.attrs), runs);
    const reference = await time(() => c.contract.reference(inputs, c.attrs), runs);
    tf.dispose(Object.values(inputs));
    rows.push({
      backend,
      kernel: c.contract.name,
      case: c.name,
      kernelMs: kernel.ms,
      referenceMs: reference.ms,
      speedup: reference.ms / kernel.ms,
    });
  }
  return rows;
}

async function main() {
  const rows: BenchRow[] = [];
  const sparse: SparseRow[] = [];
  const versus: ReferenceRow[] = [];
  const parts: PlainPartsRow[] = [];
  const skipped: string[] = [];
  window.eaBench = {
    rows,
    sparse,
    versusReference: versus,
    plainParts: parts,
    skipped,
    userAgent: navigator.userAgent,
    done: false,
  };
  for (const backend of backends) {
    let ok = false;
    try {
      ok = await tf.setBackend(backend);
    } catch {
      ok = false;
    }
    if (!ok) {
      skipped.push(`${backend}: the backend did not initialise`);
      say(`SKIPPED ${backend}: the backend did not initialise`);
      continue;
    }
    for (const n of sizes) {
      const row = await measure(backend, n, heads, reps);
      rows.push(row);
      say(JSON.stringify(row));
    }
    if (plainParts && sizes.length > 0) {
      const row = await measurePlainParts(backend, Math.max(...sizes), heads, reps);
      parts.push(row);
      say(JSON.stringify(row));
    }
    if ((backend === 'webgpu' || backend === 'webgl') && sparseN > 0) {
      const row = await measureSparse(backend, sparseN, heads, reps);
      sparse.push(row);
      say(JSON.stringify(row));
    }
    if (versusReference) {
      for (const row of await measureVersusReference(backend, reps)) {
        versus.push(row);
        say(JSON.stringify(row));
      }
    }
  }
  // Long runs last, fused on every backend before any plain attempt: a plain attempt that exhausts GPU
  // memory loses the GPU process (and every backend's device) in Chromium.
  const ready = backends.filter((b) => !skipped.some((s) => s.startsWith(`${b}:`)));
  const longRows: BenchRow[] = [];
  for (const backend of ready) {
    for (const n of longSizes) {
      if (!(await tf.setBackend(backend))) continue;
      const row = await measure(backend, n, 1, 0, { withPlain: false, withFused: longFused, d: longHeadDim });
      longRows.push(row);
      rows.push(row);
      say(JSON.stringify(row));
    }
  }
  if (longPlain) {
    for (const row of longRows) {
      let ok = false;
      try {
        ok = await tf.setBackend(row.backend);
      } catch {
        ok = false;
      }
      if (!ok) {
        row.plainError =
          'the backend could not be re-initialised after an earlier plain attempt lost the GPU';
        continue;
      }
      const plainRow = await measure(row.backend, row.n, 1, 0, { withFused: false, d: longHeadDim });
      row.plainMs = plainRow.plainMs;
      if (plainRow.plainError !== undefined) row.plainError = plainRow.plainError;
      say(JSON.stringify(row));
    }
  }
  window.eaBench.done = true;
}

main().catch((error: unknown) => {
  say(`FATAL ${String(error)}`);
  window.eaBench = {
    rows: [],
    sparse: [],
    versusReference: [],
    skipped: [],
    userAgent: navigator.userAgent,
    done: true,
    fatal: String(error),
  };
});
