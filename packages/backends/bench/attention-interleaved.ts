/**
 * `pnpm --filter @efficient-attention/backends bench:interleaved`: the fused-attention comparison of
 * backends.bench.ts (B=1 H=8 d=64 N=4096, 2 threads) measured interleaved in one process — ours, ORT
 * MultiHeadAttention, ORT plain graph, tfjs per-head — round after round, so that a busy machine's changing
 * load hits every contender alike. Prints each median and the median of the per-round time ratios.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { median } from '@efficient-attention/bench';
import { fusedAttentionKernel } from '@efficient-attention/core';
import { enableNodeWasmRelaxedSimd, enableNodeWasmThreads, registerWasmKernels } from '../src/index.js';
import { ortSession, perHeadAttention } from './attention-baselines.js';
import { multiHeadAttentionModel, plainAttentionModel } from './onnx-attention-model.js';

const [H, N, D, THREADS] = [8, Number(process.env.EA_BENCH_N ?? 4096), 64, 2];
const ROUNDS = Number(process.env.EA_BENCH_ROUNDS ?? 5);
const scale = 1 / Math.sqrt(D);
const flops = 4 * H * N * N * D;

// EA_BENCH_SIMD=relaxed-simd: our kernels' relaxed-SIMD build (fused multiply-add), after the Node opt-in.
const SIMD = process.env.EA_BENCH_SIMD === 'relaxed-simd' ? 'relaxed-simd' : 'simd128';
await enableNodeWasmThreads({ threads: THREADS });
if (SIMD === 'relaxed-simd') await enableNodeWasmRelaxedSimd();
await registerWasmKernels({ threads: THREADS, simd: SIMD });
const x = {
  q: tf.randomNormal([1, H, N, D], 0, 1, 'float32', 1),
  k: tf.randomNormal([1, H, N, D], 0, 1, 'float32', 2),
  v: tf.randomNormal([1, H, N, D], 0, 1, 'float32', 3),
};
const mha = ortSession(multiHeadAttentionModel(H, N, D, scale), [1, N, H * D], THREADS);
const plain = ortSession(plainAttentionModel(H, N, D, scale), [1, H, N, D], THREADS);
const contenders: Record<string, () => void> = {
  ours: () => {
    const out = fusedAttentionKernel.run(x, { scale, causal: false });
    out.dataSync();
    out.dispose();
  },
  'ort MHA': () => mha.run(),
  'ort plain': () => plain.run(),
  'tfjs per-head': () => {
    const out = perHeadAttention(x, scale);
    out.dataSync();
    out.dispose();
  },
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let round = -1; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(contenders)) {
    const t0 = performance.now();
    run();
    if (round >= 0) times[name]!.push(performance.now() - t0); // round −1 is the warm-up
  }
}
console.log(
  `B=1 H=${H} d=${D} N=${N}, ${THREADS} threads, our kernels' ${SIMD} build, ${ROUNDS} interleaved rounds after a warm-up`,
);
for (const [name, t] of Object.entries(times)) {
  console.log(
    `  ${name.padEnd(14)} median ${median(t).toFixed(0)} ms  ${(flops / median(t) / 1e6).toFixed(1)} GFLOP/s  [${t.map((v) => v.toFixed(0)).join(', ')}]`,
  );
}
for (const peer of ['ort MHA', 'ort plain', 'tfjs per-head']) {
  const ratios = times.ours!.map((t, i) => times[peer]![i]! / t);
  console.log(
    `  ours throughput / ${peer}: ${(100 * median(ratios)).toFixed(0)}% (median of per-round ratios)`,
  );
}
mha.close();
plain.close();
process.exit(0);
