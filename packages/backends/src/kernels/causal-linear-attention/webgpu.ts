import { type CausalLinearAttentionAttrs, causalLinearAttentionKernel } from '@efficient-attention/core';
import {
  MAX_WORKGROUPS_PER_DIMENSION,
  type WebGPUBackendLike,
  type WebGPUProgramSpec,
  WORKGROUP_STORAGE_WORDS,
} from '../../runtime/webgpu/webgpu-program.js';
import { isFloat4D, referenceFallback } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/** Value columns per workgroup of {@link CausalLinearAttentionProgram} (one invocation per column). */
export const LINEAR_COLUMN_TILE = 64;

/** Shape facts {@link CausalLinearAttentionProgram} is compiled for. */
export interface CausalLinearAttentionShape {
  batch: number;
  heads: number;
  seq: number;
  features: number;
  valueDim: number;
  /** `out = num / max(den, eps)` (true) or `out = num` (false: the backward's scans). Default true. */
  normalize?: boolean;
  /** Anti-causal: row i sums over j ≥ i (the scan walks the sequence from its end). Default false. */
  reverse?: boolean;
}

/** Positions per chunk staged in workgroup memory: φq and φk rows plus the workgroup's value columns. */
export function linearChunkSize(features: number): number {
  return Math.max(0, Math.min(64, Math.floor(WORKGROUP_STORAGE_WORDS / (2 * features + LINEAR_COLUMN_TILE))));
}

/**
 * WGSL causal linear attention (Katharopoulos et al. 2020, "Transformers are RNNs",
 * https://arxiv.org/abs/2006.16236, eq. 9–12) as a chunked scan: one workgroup per (batch·head, tile of
 * {@link LINEAR_COLUMN_TILE} value columns); the sequence is staged chunk by chunk in workgroup memory
 * (`linearChunkSize` positions of φq, φk and v), and each invocation scans its column through the chunk,
 * keeping the running state `S[:, c] = Σ φk_j v_j[c]` and normaliser `z = Σ φk_j` in registers:
 * `out_i[c] = φq_i · S[:, c] / max(φq_i · z, eps)` with S and z including position i. O(N·F) work per
 * column, O(N·(F + dv)) memory, no N² term. Unnormalised (`normalize: false`) it writes `φq_i · S[:, c]`
 * and keeps no z; reversed (`reverse: true`) step t of the scan is position N − 1 − t.
 *
 * @example
 * ```ts
 * backend.runWebGPUProgram(new CausalLinearAttentionProgram(shape), [phiQ, phiK, v], 'float32',
 *   [{ type: 'float32', data: [1e-6] }]);
 * ```
 */
export class CausalLinearAttentionProgram implements WebGPUProgramSpec {
  readonly variableNames = ['PhiQ', 'PhiK', 'V'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [2, 3], y: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [LINEAR_COLUMN_TILE, 1, 1];
  readonly uniforms = 'eps : f32, seq : i32,';
  private readonly f: number;
  private readonly dv: number;
  private readonly tc: number;
  private readonly normalize: boolean;
  private readonly reverse: boolean;

  constructor(shape: CausalLinearAttentionShape) {
    this.f = shape.features;
    this.dv = shape.valueDim;
    this.tc = linearChunkSize(shape.features);
    this.normalize = shape.normalize ?? true;
    this.reverse = shape.reverse ?? false;
    this.outputShape = [shape.batch, shape.heads, shape.seq, shape.valueDim];
    this.dispatch = [shape.batch * shape.heads, Math.ceil(shape.valueDim / LINEAR_COLUMN_TILE), 1];
    this.shaderKey =
      `eaCausalLinearAttention_${this.f}_${this.dv}_${this.tc}` +
      `_${this.normalize ? 'n' : 'u'}${this.reverse ? 'r' : 'f'}`;
  }

  getUserCode(): string {
    const { f, dv, tc, normalize, reverse } = this;
    const tw = LINEAR_COLUMN_TILE;
    // Scan step → sequence position (the reverse scan walks from the end).
    const row = (step: string) => (reverse ? `(n - 1 - (${step}))` : `(${step})`);
    return `
      var<workgroup> qChunk : array<f32, ${tc * f}>;
      var<workgroup> kChunk : array<f32, ${tc * f}>;
      var<workgroup> vChunk : array<f32, ${tc * tw}>;

      fn main() {
        let n = uniforms.seq;
        let bh = i32(workgroupId.x);
        let c0 = i32(workgroupId.y) * ${tw};
        let col = c0 + i32(localId.x);
        let lid = i32(localIndex);
        var state : array<f32, ${f}>;
        var norm : array<f32, ${f}>;
        for (var p0 = 0; p0 < n; p0 = p0 + ${tc}) {
          for (var e = lid; e < ${tc * f}; e = e + ${tw}) {
            let pos = p0 + e / ${f};
            let at = (bh * n + ${row('pos')}) * ${f} + e % ${f};
            qChunk[e] = select(0.0, PhiQ[at], pos < n);
            kChunk[e] = select(0.0, PhiK[at], pos < n);
          }
          for (var e = lid; e < ${tc * tw}; e = e + ${tw}) {
            let pos = p0 + e / ${tw};
            let c = c0 + e % ${tw};
            vChunk[e] = select(0.0, V[(bh * n + ${row('pos')}) * ${dv} + c], pos < n && c < ${dv});
          }
          workgroupBarrier();
          let count = min(${tc}, n - p0);
          if (col < ${dv}) {
            for (var t = 0; t < count; t++) {
              let v = vChunk[t * ${tw} + i32(localId.x)];
              var num = 0.0;
              var den = 0.0;
              for (var i = 0; i < ${f}; i++) {
                let k = kChunk[t * ${f} + i];
                state[i] = state[i] + k * v;
                let q = qChunk[t * ${f} + i];
                num = num + q * state[i];${
                  normalize
                    ? `
                norm[i] = norm[i] + k;
                den = den + q * norm[i];`
                    : ''
                }
              }
              result[(bh * n + ${row('p0 + t')}) * ${dv} + col] = ${normalize ? 'num / max(den, uniforms.eps)' : 'num'};
            }
          }
          workgroupBarrier();
        }
      }
    `;
  }
}

/**
 * The `webgpu` kernel of core's `EACausalLinearAttention` (Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236): a chunked scan, see {@link CausalLinearAttentionProgram}. `chunkSize`
 * only shapes the reference's scan (the result does not depend on it); the kernel stages its own chunks.
 * Inputs the kernel does not take run core's reference (which raises the error), with a one-time warning.
 * Trains through core's registered gradient, whose unnormalised and reverse scans run here too.
 *
 * @example
 * ```ts
 * registerWebGPUKernels(); // registers causalLinearAttentionWebGPU with the rest
 * const out = causalLinearAttentionKernel.run({ phiQ, phiK, v }, { chunkSize: 64, eps: 1e-6 });
 * ```
 */
export const causalLinearAttentionWebGPU = defineKernelImplementation({
  contract: causalLinearAttentionKernel,
  backend: 'webgpu',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const { phiQ, phiK, v } = inputs;
      const {
        eps,
        chunkSize,
        normalize = true,
        reverse = false,
      } = (attrs ?? {}) as Partial<CausalLinearAttentionAttrs>;
      const fallback = (reason: string) =>
        referenceFallback(causalLinearAttentionKernel, 'webgpu', reason, inputs, attrs);
      const valid =
        isFloat4D(phiQ) &&
        isFloat4D(phiK) &&
        isFloat4D(v) &&
        phiQ.shape.every((s, i) => s === phiK.shape[i]) &&
        phiQ.shape.slice(0, 3).every((s, i) => s === v.shape[i]) &&
        typeof eps === 'number' &&
        eps > 0 &&
        typeof chunkSize === 'number' &&
        Number.isInteger(chunkSize) &&
        chunkSize >= 1 &&
        typeof normalize === 'boolean' &&
        typeof reverse === 'boolean';
      if (!valid) return fallback('inputs the kernel does not take (the reference validates them)');
      const [batch, heads, seq, features] = phiQ.shape;
      const shape = { batch, heads, seq, features, valueDim: v.shape[3], normalize, reverse };
      if (linearChunkSize(features) === 0) return fallback('more than 2016 features');
      const program = new CausalLinearAttentionProgram(shape);
      if (program.dispatch[0] > MAX_WORKGROUPS_PER_DIMENSION)
        return fallback('more workgroups than one dispatch allows');
      return (backend as WebGPUBackendLike).runWebGPUProgram(program, [phiQ, phiK, v], 'float32', [
        { type: 'float32', data: [eps] },
        { type: 'int32', data: [seq] },
      ]);
    },
});
