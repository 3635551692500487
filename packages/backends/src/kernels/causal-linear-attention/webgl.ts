import { type CausalLinearAttentionAttrs, causalLinearAttentionKernel } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { GPGPUProgramSpec, WebGLBackendLike } from '../../runtime/webgl/webgl-program.js';
import { inputsFinite } from '../fused-attention/webgl.js';
import { isFloat4D, referenceFallback } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/** Shape facts of {@link CausalLinearNormaliseProgram}. */
export interface CausalLinearNormaliseShape {
  batch: number;
  heads: number;
  /** Sequence length (the accumulator may hold more rows: chunk padding, ignored). */
  seq: number;
  valueDim: number;
}

/**
 * GLSL, the last pass of the `webgl` causal linear attention (Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236, eq. 9–12): from the accumulated `[num | den]` rows
 * `Acc [B·H, paddedSeq, dv + 1]` (the normaliser rode along as an extra value column), `out = num /
 * max(den, eps)` as `[B, H, seq, dv]`, dropping the chunk padding — one pass instead of two slices, a
 * maximum, a division and a reshape. Uniform `eps`.
 *
 * @example
 * ```ts
 * backend.runWebGLProgram(new CausalLinearNormaliseProgram({ batch: 1, heads: 8, seq: 1000, valueDim: 64 }),
 *   [acc], 'float32', [[1e-6]]);
 * ```
 */
export class CausalLinearNormaliseProgram implements GPGPUProgramSpec {
  readonly variableNames = ['Acc'];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly customUniforms = [{ name: 'eps', type: 'float' as const }];

  constructor({ batch, heads, seq, valueDim }: CausalLinearNormaliseShape) {
    this.outputShape = [batch, heads, seq, valueDim];
    this.userCode = `
      void main() {
        ivec4 c = getOutputCoords();
        int g = c.x * ${heads} + c.y;
        float den = max(getAcc(g, c.z, ${valueDim}), eps);
        setOutput(getAcc(g, c.z, c.w) / den);
      }
    `;
  }
}

/** Largest chunk count whose prefix sum runs as one O(chunks²) matMul rather than a `cumsum`. */
const MATMUL_SCAN_CHUNKS = 128;

/**
 * The chunked prefix-sum scan over every (batch, head) at once: the sequence is zero-padded to whole
 * chunks (zero keys add nothing; padded query rows are dropped), then, with `V' = [v | 1]`,
 * - inside each chunk: `(φ(Q_c) φ(K_c)ᵀ ⊙ lower-triangle) V'_c` (batched `matMul`s over `B·H·chunks`);
 * - across chunks: `φ(Q_c) S_c` with `S_c = Σ_{c' < c} φ(K_c')ᵀ V'_c'`, the per-chunk updates summed by one
 *   matMul with a strictly lower-triangular matrix of ones (an exclusive `cumsum` past
 *   {@link MATMUL_SCAN_CHUNKS} chunks; no sequential loop over chunks);
 * - `out = num / max(den, eps)` in {@link CausalLinearNormaliseProgram}; unnormalised (`normalize: false`)
 *   there is no ones column and `out = num`.
 */
function causalLinearChunks(
  backend: WebGLBackendLike,
  phiQ: tf.Tensor4D,
  phiK: tf.Tensor4D,
  v: tf.Tensor4D,
  { chunkSize, eps, normalize = true }: CausalLinearAttentionAttrs,
): tf.Tensor {
  const [b, h, n, f] = phiQ.shape;
  const dv = v.shape[3];
  const width = normalize ? dv + 1 : dv;
  const chunk = Math.min(chunkSize, n);
  const chunks = Math.ceil(n / chunk);
  const padded = chunks * chunk;
  const planes = b * h;
  const acc = tf.tidy(() => {
    const blocks = (x: tf.Tensor, width: number) => {
      const rows = tf.reshape(x, [planes, n, width]);
      const full =
        padded > n
          ? tf.pad(rows, [
              [0, 0],
              [0, padded - n],
              [0, 0],
            ])
          : rows;
      return tf.reshape(full, [planes * chunks, chunk, width]);
    };
    const q = blocks(phiQ, f);
    const k = blocks(phiK, f);
    const vRows = tf.reshape(v, [planes, n, dv]);
    const vOnes = blocks(normalize ? tf.concat([vRows, tf.ones([planes, n, 1])], 2) : vRows, width);
    const lower = tf.linalg.bandPart(tf.ones([chunk, chunk]), -1, 0);
    const intra = tf.matMul(tf.mul(tf.matMul(q, k, false, true), lower), vOnes);
    if (chunks === 1) return intra;
    const updates = tf.reshape(tf.matMul(k, vOnes, true, false), [planes, chunks, f * width]);
    // Exclusive prefix sum over chunks: for up to MATMUL_SCAN_CHUNKS chunks one matMul by the strictly
    // lower-triangular ones (cheaper here than cumsum's transposes and log-depth passes), else cumsum.
    const prefix =
      chunks <= MATMUL_SCAN_CHUNKS
        ? tf.matMul(
            tf.broadcastTo(tf.sub(tf.linalg.bandPart(tf.ones([chunks, chunks]), -1, 0), tf.eye(chunks)), [
              planes,
              chunks,
              chunks,
            ]),
            updates,
          )
        : tf.cumsum(updates, 1, true);
    const state = tf.reshape(prefix, [planes * chunks, f, width]);
    return tf.add(intra, tf.matMul(q, state));
  });
  if (!normalize) {
    const num = tf.tidy(() =>
      tf.reshape(tf.slice(tf.reshape(acc, [planes, padded, dv]), [0, 0, 0], [planes, n, dv]), [b, h, n, dv]),
    );
    acc.dispose();
    return num;
  }
  const accRows = tf.reshape(acc, [planes, padded, dv + 1]);
  const out = backend.runWebGLProgram(
    new CausalLinearNormaliseProgram({ batch: b, heads: h, seq: n, valueDim: dv }),
    [accRows],
    'float32',
    [[eps]],
  );
  tf.dispose([acc, accRows]);
  return tf.engine().makeTensorFromTensorInfo(out);
}

/**
 * The `webgl` kernel of core's `EACausalLinearAttention` (Katharopoulos et al. 2020, "Transformers are
 * RNNs", https://arxiv.org/abs/2006.16236; chunked as Hua et al. 2022, https://arxiv.org/abs/2202.10447):
 * the reference's chunked scan batched over all heads — batched tfjs `matMul`s for the masked in-chunk
 * products, the chunk states and their prefix sum across chunks and one GLSL pass
 * ({@link CausalLinearNormaliseProgram}) for the normalisation. Time O(N·chunk·(f + dv) + N·f·dv) per
 * head; memory O(N·chunk + N·f·(dv + 1)/chunk) per head (every chunk's state is held at once).
 * Inputs the kernel does not take run core's reference (which raises the error), with a one-time warning;
 * inputs holding NaN or ±∞ run it silently, so the NaN rule holds. `normalize: false` leaves the division
 * out; `reverse: true` runs the same scan on the time-reversed sequence (`tf.reverse` in and out). Trains
 * through core's registered gradient, whose scans run here too.
 *
 * @example
 * ```ts
 * registerWebGLKernels(); // registers causalLinearAttentionWebGL with the rest
 * const out = causalLinearAttentionKernel.run({ phiQ, phiK, v }, { chunkSize: 64, eps: 1e-6 });
 * ```
 */
export const causalLinearAttentionWebGL = defineKernelImplementation({
  contract: causalLinearAttentionKernel,
  backend: 'webgl',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const { phiQ, phiK, v } = inputs;
      const a = (attrs ?? {}) as Partial<CausalLinearAttentionAttrs>;
      const ok =
        isFloat4D(phiQ) &&
        isFloat4D(phiK) &&
        isFloat4D(v) &&
        phiK.shape.every((s, i) => s === phiQ.shape[i]) &&
        v.shape.slice(0, 3).every((s, i) => s === phiQ.shape[i]) &&
        phiQ.shape.every((s) => s > 0) &&
        v.shape[3] > 0 &&
        typeof a.chunkSize === 'number' &&
        Number.isInteger(a.chunkSize) &&
        a.chunkSize >= 1 &&
        typeof a.eps === 'number' &&
        a.eps > 0 &&
        (a.normalize === undefined || typeof a.normalize === 'boolean') &&
        (a.reverse === undefined || typeof a.reverse === 'boolean');
      if (!ok) {
        return referenceFallback(
          causalLinearAttentionKernel,
          'webgl',
          'inputs the kernel does not take (the reference validates them)',
          inputs,
          attrs,
        );
      }
      // The NaN rule (a NaN key or value at j reaches rows ≥ j only): the chunked products here mask by a
      // multiply (0 · NaN = NaN), so inputs with NaN or ±∞ take the reference, which selects.
      if (!inputsFinite([phiQ, phiK, v])) {
        return causalLinearAttentionKernel.reference(
          inputs as unknown as Parameters<typeof causalLinearAttentionKernel.reference>[0],
          a as CausalLinearAttentionAttrs,
        );
      }
      const scan = (q: tf.Tensor4D, k: tf.Tensor4D, values: tf.Tensor4D) =>
        causalLinearChunks(backend as WebGLBackendLike, q, k, values, a as CausalLinearAttentionAttrs);
      if (!a.reverse) return scan(phiQ as tf.Tensor4D, phiK as tf.Tensor4D, v as tf.Tensor4D);
      // Anti-causal: the causal scan of the time-reversed sequence, reversed back.
      return tf.tidy(() => {
        const flip = (x: tf.Tensor) => tf.reverse(x, 2) as tf.Tensor4D;
        return flip(scan(flip(phiQ as tf.Tensor4D), flip(phiK as tf.Tensor4D), flip(v as tf.Tensor4D)));
      });
    },
});
