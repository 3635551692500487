/// <reference types="vite/client" />
/**
 * wasm-bench.html: the CPU table of bench/attention-interleaved.ts (fused dense attention B=1 H=8 d=64
 * N=4096, non-causal, scale 1/√d, 2 threads) measured in a browser, interleaved: each round runs every
 * contender once, so that a busy machine's changing load hits every contender alike. Contenders: our
 * kernel module's relaxed-SIMD and SIMD128 builds (registerWasmKernels; the builds are swapped inside each
 * round, the swap and one untimed call after it kept out of the timings), tfjs-wasm's best ops path
 * (per-head 2-D matMul → softmax → matMul, threaded SIMD build) and onnxruntime-web (wasm EP, the ONNX
 * models the Node bench feeds onnxruntime-node). browser/wasm-bench.mjs reads window.eaWasmBench.
 */
import { median } from '@efficient-attention/bench';
import { fusedAttentionKernel } from '@efficient-attention/core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plainWasm from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdWasm from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs-core';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import * as ort from 'onnxruntime-web/wasm';
import { multiHeadAttentionModel, plainAttentionModel } from '../../bench/onnx-attention-model.js';
import { perHeadAttention } from '../../bench/per-head-attention.js';
import type { KernelVariant } from '../../src/runtime/wasm/kernel-module.js';
import { registerWasmKernels } from '../../src/runtime/wasm/register-wasm-kernels.js';

/** The contenders, in the order a round runs them. */
const ALL = ['relaxed', 'simd128', 'tfjs', 'ort-mha', 'ort-plain'] as const;
type ContenderId = (typeof ALL)[number];

const LABELS: Record<ContenderId, string> = {
  relaxed: 'ours relaxed-SIMD',
  simd128: 'ours SIMD128',
  tfjs: 'tfjs-wasm per-head',
  'ort-mha': 'ort-web MHA',
  'ort-plain': 'ort-web plain',
};

/** One contender's result (JSON for browser/wasm-bench.mjs). */
export interface ContenderResult {
  id: ContenderId;
  label: string;
  /** Timed runs, one per round (output read back), in ms. */
  times: number[];
  /** The warm-up round's run (not in the statistics), in ms. */
  warmupMs?: number;
  medianMs?: number;
  /** 4·H·N²·d / median time. */
  gflops?: number;
  /** Median over rounds of (this contender's time / ours' time in the same round), per build of ours. */
  ratioVsRelaxed?: number;
  ratioVsSimd128?: number;
  /** max |output − tfjs per-head output| (warm-up round). */
  maxDiffVsTfjs?: number;
  /** max |output − ours relaxed-SIMD output| (warm-up round). */
  maxDiffVsRelaxed?: number;
  /** What this contender ran on (kernel build, tfjs threads, ORT version…). */
  detail?: string;
  error?: string;
}

export interface WasmBenchReport {
  userAgent: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  config: {
    n: number;
    heads: number;
    d: number;
    batch: 1;
    causal: false;
    scale: number;
    rounds: number;
    threads: number;
    contenders: ContenderId[];
    rewarm: boolean;
    /** 4·H·N²·d. */
    flops: number;
  };
  /** Builds of our kernel module loaded (registerWasmKernels' `variant`), and ms of each swap. */
  kernelVariants: string[];
  swapMs: number[];
  /** Swapping builds is done inside each round (never between blocks of rounds). */
  swapMode: 'per-round';
  tfjs?: { multithreadSupport: boolean; simdSupport: boolean; threads: number; version: string };
  ort?: { version: string; numThreads: number; simd: boolean | string | undefined };
  results: ContenderResult[];
  log: string[];
  skipped: string[];
  done: boolean;
  fatal?: string;
}

declare global {
  interface Window {
    eaWasmBench?: WasmBenchReport;
  }
}

const params = new URLSearchParams(location.search);
const n = Number(params.get('n') ?? 4096);
const heads = Number(params.get('heads') ?? 8);
const d = Number(params.get('d') ?? 64);
const rounds = Number(params.get('rounds') ?? 7);
const threads = Number(params.get('threads') ?? 2);
const rewarm = params.get('rewarm') !== '0';
const wanted = (params.get('contenders') ?? ALL.join(','))
  .split(',')
  .filter(Boolean)
  .map((c) => {
    if (!(ALL as readonly string[]).includes(c))
      throw new Error(`unknown contender ${c} (${ALL.join(', ')})`);
    return c as ContenderId;
  });
const scale = 1 / Math.sqrt(d);
const flops = 4 * heads * n * n * d;

const logElement = document.querySelector('#log') as HTMLElement;
const report: WasmBenchReport = {
  userAgent: navigator.userAgent,
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  hardwareConcurrency: navigator.hardwareConcurrency,
  config: {
    n,
    heads,
    d,
    batch: 1,
    causal: false,
    scale,
    rounds,
    threads,
    contenders: wanted,
    rewarm,
    flops,
  },
  kernelVariants: [],
  swapMs: [],
  swapMode: 'per-round',
  results: [],
  log: [],
  skipped: [],
  done: false,
};
const say = (line: string) => {
  logElement.textContent += `${line}\n`;
  report.log.push(line);
  console.log(line);
};

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i]! - b[i]!);
    if (!(x <= m)) m = x; // NaN propagates as NaN
  }
  return m;
}

/** [1, H, N, d] → [1, N, H·d] (and back with `inverse`), for ORT's MultiHeadAttention layout. */
function toSequenceMajor(x: Float32Array, inverse = false): Float32Array {
  const out = new Float32Array(x.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      const headMajor = (h * n + i) * d;
      const seqMajor = (i * heads + h) * d;
      if (inverse) out.set(x.subarray(seqMajor, seqMajor + d), headMajor);
      else out.set(x.subarray(headMajor, headMajor + d), seqMajor);
    }
  }
  return out;
}

interface Contender {
  id: ContenderId;
  /** Runs once and returns the output, read back (part of the timed work). */
  run(): Promise<Float32Array>;
  /** The output in [1, H, N, d] layout, for the comparisons (untimed). */
  headMajor?(out: Float32Array): Float32Array;
  /** Untimed work before the run (our builds: swap the kernel module), true when it changed something. */
  prepare?(): Promise<boolean>;
}

async function main(): Promise<void> {
  say(
    `B=1 H=${heads} d=${d} N=${n}, non-causal, scale ${scale}, ${threads} threads, ${rounds} interleaved rounds ` +
      `after a warm-up round; crossOriginIsolated=${report.crossOriginIsolated}, ` +
      `hardwareConcurrency=${navigator.hardwareConcurrency}`,
  );
  if (!report.crossOriginIsolated)
    throw new Error('the page is not cross-origin isolated (COOP/COEP headers)');

  // tfjs-wasm: its threaded SIMD build, `threads` threads (set before the backend initialises).
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainWasm,
    'tfjs-backend-wasm-simd.wasm': simdWasm,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdWasm,
  });
  setThreadsCount(threads);
  // tfjs-wasm's C++ caps its XNNPACK pool at hardwareConcurrency / 2 (it assumes 2 hyper-threads a core),
  // which is 1 on a 2-core machine: while the backend initialises, hardwareConcurrency reads 2 × threads
  // (as enableNodeWasmThreads does with os.cpus() in Node), then the real value is back.
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend did not initialise');
    await tf.ready();
  } finally {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
  if (navigator.hardwareConcurrency !== report.hardwareConcurrency) {
    throw new Error('navigator.hardwareConcurrency was not restored');
  }
  report.tfjs = {
    multithreadSupport: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true,
    simdSupport: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
    threads: getThreadsCount(),
    version: tf.version_core,
  };
  say(
    `tfjs ${report.tfjs.version} wasm: multithread support ${report.tfjs.multithreadSupport}, SIMD ` +
      `${report.tfjs.simdSupport}, XNNPACK threads ${report.tfjs.threads}`,
  );

  const q = tf.randomNormal([1, heads, n, d], 0, 1, 'float32', 1);
  const k = tf.randomNormal([1, heads, n, d], 0, 1, 'float32', 2);
  const v = tf.randomNormal([1, heads, n, d], 0, 1, 'float32', 3);
  const contenders: Contender[] = [];

  let loaded: KernelVariant | undefined;
  const ours = (id: 'relaxed' | 'simd128', simd: KernelVariant): Contender => ({
    id,
    async prepare() {
      if (loaded === simd) return false;
      const t0 = performance.now();
      const reg = await registerWasmKernels({ threads, simd });
      report.swapMs.push(performance.now() - t0);
      if (reg.variant !== simd || reg.threads !== threads) {
        throw new Error(`registerWasmKernels loaded ${reg.variant} on ${reg.threads} threads`);
      }
      if (!reg.registered[fusedAttentionKernel.name]?.includes('wasm')) {
        throw new Error(`${fusedAttentionKernel.name} was not registered for wasm (${JSON.stringify(reg)})`);
      }
      if (!report.kernelVariants.includes(reg.variant)) report.kernelVariants.push(reg.variant);
      loaded = simd;
      return true;
    },
    async run() {
      const out = fusedAttentionKernel.run({ q, k, v }, { scale, causal: false });
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
  });
  if (wanted.includes('relaxed')) contenders.push(ours('relaxed', 'relaxed-simd'));
  if (wanted.includes('simd128')) contenders.push(ours('simd128', 'simd128'));
  if (wanted.includes('tfjs')) {
    contenders.push({
      id: 'tfjs',
      async run() {
        const out = perHeadAttention({ q, k, v }, scale);
        const data = (await out.data()) as Float32Array;
        out.dispose();
        return data;
      },
    });
  }

  const ortWanted = wanted.filter((c) => c === 'ort-mha' || c === 'ort-plain');
  const ortSessions: ort.InferenceSession[] = [];
  if (ortWanted.length > 0) {
    try {
      ort.env.wasm.numThreads = threads;
      ort.env.wasm.simd = true;
      ort.env.wasm.proxy = false;
      ort.env.wasm.wasmPaths = { mjs: new URL(ortMjs, location.href), wasm: new URL(ortWasm, location.href) };
      const [qd, kd, vd] = await Promise.all([q.data(), k.data(), v.data()]);
      const shapeHead = [1, heads, n, d];
      const shapeSeq = [1, n, heads * d];
      for (const id of ortWanted) {
        const mha = id === 'ort-mha';
        const model = mha
          ? multiHeadAttentionModel(heads, n, d, scale)
          : plainAttentionModel(heads, n, d, scale);
        let session: ort.InferenceSession;
        try {
          session = await ort.InferenceSession.create(model, {
            executionProviders: ['wasm'],
            graphOptimizationLevel: 'all',
            executionMode: 'sequential',
            // As the Node bench: no busy-waiting of ORT's intra-op threads after a run.
            extra: { session: { intra_op: { allow_spinning: '0' } } },
          });
        } catch (error) {
          const message = `${LABELS[id]}: session creation failed: ${error instanceof Error ? error.message : String(error)}`;
          report.skipped.push(message);
          say(`SKIPPED ${message}`);
          continue;
        }
        ortSessions.push(session);
        const feed = (x: Float32Array) =>
          mha
            ? new ort.Tensor('float32', toSequenceMajor(x), shapeSeq)
            : new ort.Tensor('float32', x as Float32Array<ArrayBuffer>, shapeHead);
        const feeds = {
          q: feed(qd as Float32Array),
          k: feed(kd as Float32Array),
          v: feed(vd as Float32Array),
        };
        contenders.push({
          id,
          async run() {
            const result = await session.run(feeds);
            const out = result.out;
            if (out === undefined) throw new Error('ORT returned no output "out"');
            const data = (await out.getData()) as Float32Array;
            out.dispose();
            return data;
          },
          ...(mha ? { headMajor: (out: Float32Array) => toSequenceMajor(out, true) } : {}),
        });
      }
      report.ort = {
        version: ort.env.versions.web ?? ort.env.versions.common,
        numThreads: ort.env.wasm.numThreads ?? threads,
        simd: ort.env.wasm.simd,
      };
      say(`onnxruntime-web ${report.ort.version}: wasm EP, numThreads ${report.ort.numThreads}`);
    } catch (error) {
      const message = `onnxruntime-web: ${error instanceof Error ? error.message : String(error)}`;
      report.skipped.push(message);
      say(`SKIPPED ${message}`);
    }
  }

  const results = new Map<ContenderId, ContenderResult>(
    contenders.map((c) => [c.id, { id: c.id, label: LABELS[c.id], times: [] }]),
  );
  const failed = new Set<ContenderId>();
  const warmOutputs = new Map<ContenderId, Float32Array>();
  for (let round = -1; round < rounds; round++) {
    const line: string[] = [];
    for (const c of contenders) {
      if (failed.has(c.id)) continue;
      const r = results.get(c.id)!;
      try {
        // Untimed: a swap of our kernel build, then (rewarm) one call on the fresh module.
        if ((await c.prepare?.()) && rewarm && round >= 0) await c.run();
        const t0 = performance.now();
        const out = await c.run();
        const ms = performance.now() - t0;
        if (round < 0) {
          r.warmupMs = ms;
          warmOutputs.set(c.id, c.headMajor?.(out) ?? out);
        } else r.times.push(ms);
        line.push(`${c.id} ${ms.toFixed(0)}`);
      } catch (error) {
        r.error = (error instanceof Error ? error.message : String(error)).trim();
        failed.add(c.id);
        say(`FAILED ${LABELS[c.id]} in round ${round}: ${r.error}`);
      }
    }
    say(`${round < 0 ? 'warm-up' : `round ${round + 1}`}: ${line.join(', ')} ms`);
  }

  const reference = warmOutputs.get('tfjs');
  const relaxedOut = warmOutputs.get('relaxed');
  const relaxedTimes = results.get('relaxed')?.times;
  const simdTimes = results.get('simd128')?.times;
  const ratio = (t: number[], base: number[] | undefined) =>
    base !== undefined && base.length === t.length && t.length > 0
      ? median(t.map((x, i) => x / base[i]!))
      : undefined;
  for (const c of contenders) {
    const r = results.get(c.id)!;
    const out = warmOutputs.get(c.id);
    if (out !== undefined && reference !== undefined) r.maxDiffVsTfjs = maxAbsDiff(out, reference);
    if (out !== undefined && relaxedOut !== undefined) r.maxDiffVsRelaxed = maxAbsDiff(out, relaxedOut);
    if (r.error === undefined && r.times.length > 0) {
      r.medianMs = median(r.times);
      r.gflops = flops / r.medianMs / 1e6;
      r.ratioVsRelaxed = ratio(r.times, relaxedTimes);
      r.ratioVsSimd128 = ratio(r.times, simdTimes);
    }
    if (c.id === 'relaxed' || c.id === 'simd128') {
      r.detail = `kernels${c.id === 'relaxed' ? '-relaxed' : ''}.wasm, ${threads} threads`;
    } else if (c.id === 'tfjs') {
      r.detail = `threaded SIMD build, ${report.tfjs?.threads} XNNPACK threads`;
    } else {
      r.detail = `onnxruntime-web ${report.ort?.version}, wasm EP, ${report.ort?.numThreads} threads`;
    }
    report.results.push(r);
  }
  for (const s of ortSessions) await s.release();
  tf.dispose([q, k, v]);
}

main()
  .catch((error: unknown) => {
    report.fatal = error instanceof Error ? (error.stack ?? error.message) : String(error);
    say(`FATAL ${report.fatal}`);
  })
  .finally(() => {
    report.done = true;
    window.eaWasmBench = report;
  });
