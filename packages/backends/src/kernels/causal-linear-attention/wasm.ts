import {
  type CausalLinearAttentionAttrs,
  causalLinearAttentionKernel,
  InvalidArgumentError,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { wasmFunction } from '../../runtime/wasm/wasm-function.js';
import { readInput, type WasmRuntime, writeOutput } from '../../runtime/wasm/wasm-runtime.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

const FN = causalLinearAttentionKernel.name;

/**
 * `causalLinearAttention` in assembly/kernels.ts: the state scan of planes `planeStart`,
 * `planeStart + planeStep`, … (each thread takes its share by index).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `phiQ`, `phiK` | byte offsets of the feature maps, f32 `[planes, n, f]` |
 * | `v` | byte offset of `[v | 1]`, f32 `[planes, n, dvp]` (column `dv` holds 1: the normaliser; no ones column when `normalize` is 0) |
 * | `out` | byte offset of the output, f32 `[planes, n, dv]` |
 * | `state` | byte offset of this thread's state, f32 `[f + 1, dvp]` |
 * | `n` | sequence length |
 * | `f` | features |
 * | `dv` | value dim |
 * | `dvp` | `dv + 1` (`dv` when `normalize` is 0) padded to a multiple of 4 |
 * | `eps` | the normaliser's floor (`out = num / max(den, eps)`) |
 * | `planeStart`, `planeStep` | this thread's first plane and the thread count |
 * | `planes` | batch · heads |
 * | `normalize` | 1: `out = num / max(den, eps)`; 0: `out = num` (the backward's unnormalised scans) |
 * | `reverse` | 1: the anti-causal scan, position i sums over j ≥ i; 0: j ≤ i |
 */
const CAUSAL_LINEAR_ATTENTION = wasmFunction('causalLinearAttention', [
  'phiQ',
  'phiK',
  'v',
  'out',
  'state',
  'n',
  'f',
  'dv',
  'dvp',
  'eps',
  'planeStart',
  'planeStep',
  'planes',
  'normalize',
  'reverse',
] as const);

/**
 * The `EACausalLinearAttention` kernel function over the WebAssembly SIMD module: per (batch, head) a scan
 * that keeps the running state `S = Σ φ(k_j) [v_j | 1]ᵀ` (`[features, valueDim + 1]`) and reads each output
 * off it, `out_i = (φ(q_i) S)[:dv] / max((φ(q_i) S)[dv], eps)` (Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236, eq. 9–12). O(N·features·valueDim) time, O(features·valueDim) state;
 * heads are dealt to the threads. `chunkSize` only shapes the reference: the scan is exact at every position.
 *
 * @example
 * ```ts
 * await registerWasmKernels(); // registers causalLinearAttentionWasm.setup(runtime) for 'wasm' and 'cpu'
 * const out = causalLinearAttentionKernel.run({ phiQ, phiK, v }, { chunkSize: 64, eps: 1e-6 });
 * ```
 */
export const causalLinearAttentionWasm = defineKernelImplementation({
  contract: causalLinearAttentionKernel,
  backend: 'wasm',
  setup: (rt) => causalLinearAttentionKernelFunc(rt),
});

function causalLinearAttentionKernelFunc(rt: WasmRuntime): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { phiQ, phiK, v } = inputs as { phiQ: tf.TensorInfo; phiK: tf.TensorInfo; v: tf.TensorInfo };
    const { eps, normalize = true, reverse = false } = attrs as unknown as CausalLinearAttentionAttrs;
    if (phiQ?.shape.length !== 4 || phiK?.shape.length !== 4 || v?.shape.length !== 4) {
      throw new InvalidArgumentError(FN, 'inputs', 'rank-4 phiQ, phiK, v', [
        phiQ?.shape,
        phiK?.shape,
        v?.shape,
      ]);
    }
    const [b, h, n, f] = phiQ.shape as [number, number, number, number];
    const dv = v.shape[3]!;
    if (
      phiK.shape.some((s, i) => s !== phiQ.shape[i]) ||
      v.shape[0] !== b ||
      v.shape[1] !== h ||
      v.shape[2] !== n
    ) {
      throw new InvalidArgumentError(
        FN,
        'phiK.shape / v.shape',
        `[${b}, ${h}, ${n}, ${f}] / [${b}, ${h}, ${n}, valueDim]`,
        [phiK.shape, v.shape],
      );
    }
    if (!(eps > 0)) throw new InvalidArgumentError(FN, 'attrs.eps', 'a number > 0', eps);
    if (typeof normalize !== 'boolean')
      throw new InvalidArgumentError(FN, 'attrs.normalize', 'a boolean', normalize);
    if (typeof reverse !== 'boolean')
      throw new InvalidArgumentError(FN, 'attrs.reverse', 'a boolean', reverse);
    const kb = backend as tf.KernelBackend;
    const { arena } = rt;
    arena.reset();
    const planes = b * h;
    const rows = planes * n;
    const dvp = Math.ceil((normalize ? dv + 1 : dv) / 4) * 4;
    const qAt = arena.alloc(rows * f * 4);
    const kAt = arena.alloc(rows * f * 4);
    const vAt = arena.alloc(rows * dvp * 4);
    const outAt = arena.alloc(rows * dv * 4);
    const states = Array.from({ length: rt.threads }, () => arena.alloc((f + 1) * dvp * 4));
    arena.f32(qAt, rows * f).set(readInput(kb, phiQ));
    arena.f32(kAt, rows * f).set(readInput(kb, phiK));
    const vIn = readInput(kb, v);
    const vDst = arena.f32(vAt, rows * dvp);
    vDst.fill(0);
    for (let r = 0; r < rows; r++) {
      vDst.set(vIn.subarray(r * dv, (r + 1) * dv), r * dvp);
      if (normalize) vDst[r * dvp + dv] = 1; // the normaliser's column
    }
    rt.run(CAUSAL_LINEAR_ATTENTION, (t) => ({
      phiQ: qAt,
      phiK: kAt,
      v: vAt,
      out: outAt,
      state: states[t]!,
      n,
      f,
      dv,
      dvp,
      eps,
      planeStart: t,
      planeStep: rt.threads,
      planes,
      normalize: normalize ? 1 : 0,
      reverse: reverse ? 1 : 0,
    }));
    return writeOutput(kb, [b, h, n, dv], arena.f32(outAt, rows * dv), rows, dv, dv);
  };
}
