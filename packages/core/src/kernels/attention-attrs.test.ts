import { describeBackends, expectTensorsClose, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { blockSparseAttentionKernel, resolveBlockSparseAttentionAttrs } from './block-sparse-attention.js';
import { fusedAttentionKernel, resolveFusedAttentionAttrs } from './fused-attention.js';

const BAD_SCALES = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0.5, '0.5', null];
const BAD_CAUSALS = ['yes', 1, 0, null, {}];

/** A one-block mask of `n` queries and keys (every pair allowed), compiled by hand. */
function fullMask(n: number) {
  return {
    kvNumBlocks: tf.tensor3d([0], [1, 1, 1], 'int32'),
    kvIndices: tf.tensor4d([0], [1, 1, 1, 1], 'int32'),
    fullKvNumBlocks: tf.tensor3d([1], [1, 1, 1], 'int32'),
    fullKvIndices: tf.tensor4d([0], [1, 1, 1, 1], 'int32'),
    partialMasks: tf.zeros([1, n, Math.ceil(n / 32)], 'int32'),
    partialMaskOffsets: tf.tensor3d([0], [1, 1, 1], 'int32'),
  };
}

// One attribute rule per attention contract, applied by `run` (and `reference`) before any path: a missing
// scale is 1/√d, a scale that is not a finite number > 0 and a causal that is not a boolean throw.
describeBackends('attention kernel attributes', (backend) => {
  const q = () => seededTensor([1, 2, 9, 16], 1).tensor;

  it('a missing scale means 1/√headDim and causal false, on the run and reference paths', () => {
    const [x, k, v] = [q(), seededTensor([1, 2, 9, 16], 2).tensor, seededTensor([1, 2, 9, 16], 3).tensor];
    expect(resolveFusedAttentionAttrs({ q: x, k, v }, {})).toEqual({ scale: 0.25, causal: false });
    expect(resolveFusedAttentionAttrs({ q: x, k, v }, undefined)).toEqual({ scale: 0.25, causal: false });
    const explicit = fusedAttentionKernel.run({ q: x, k, v }, { scale: 0.25, causal: false });
    for (const out of [
      fusedAttentionKernel.run({ q: x, k, v }, {}),
      fusedAttentionKernel.reference({ q: x, k, v }, {}),
    ]) {
      expectTensorsClose(out, explicit, { atol: 0, rtol: 0 });
      out.dispose();
    }
    const mask = fullMask(9);
    const inputs = { q: x, k, v, ...mask };
    expect(resolveBlockSparseAttentionAttrs(inputs, { blockSize: 9, qLen: 9, kvLen: 9 }).scale).toBe(0.25);
    const sparse = blockSparseAttentionKernel.run(inputs, { blockSize: 9, qLen: 9, kvLen: 9 });
    expectTensorsClose(sparse, explicit, { atol: 1e-6, rtol: 1e-5 });
    tf.dispose([x, k, v, explicit, sparse, ...Object.values(mask)]);
  });

  it('rejects a scale that is not a finite number > 0 and a non-boolean causal, naming the attribute', () => {
    const x = q();
    const mask = fullMask(9);
    const inputs = { q: x, k: x, v: x, ...mask };
    for (const scale of BAD_SCALES) {
      const s = scale as number;
      for (const call of [
        () => fusedAttentionKernel.run({ q: x, k: x, v: x }, { scale: s }),
        () => fusedAttentionKernel.reference({ q: x, k: x, v: x }, { scale: s, causal: true }),
        () => blockSparseAttentionKernel.run(inputs, { blockSize: 9, qLen: 9, kvLen: 9, scale: s }),
        () => blockSparseAttentionKernel.reference(inputs, { blockSize: 9, qLen: 9, kvLen: 9, scale: s }),
      ]) {
        expect(call).toThrow(InvalidArgumentError);
        expect(call).toThrow(/`attrs\.scale` must be a finite number > 0, received/);
      }
    }
    for (const causal of BAD_CAUSALS) {
      const c = causal as unknown as boolean;
      for (const call of [
        () => fusedAttentionKernel.run({ q: x, k: x, v: x }, { causal: c }),
        () => fusedAttentionKernel.reference({ q: x, k: x, v: x }, { scale: 1, causal: c }),
      ]) {
        expect(call).toThrow(/EAFusedAttention: `attrs\.causal` must be a boolean, received/);
      }
    }
    expect(() => fusedAttentionKernel.run({ q: x, k: x, v: x }, { scale: 1, casual: true } as never)).toThrow(
      /`attrs\.casual` must be one of the known options \(scale, causal\)/,
    );
    tf.dispose([x, ...Object.values(mask)]);
  });

  it('hands a registered kernel the resolved attributes (the one place they are checked)', () => {
    const x = q();
    const seen: unknown[] = [];
    tf.registerKernel({
      kernelName: fusedAttentionKernel.name,
      backendName: backend,
      kernelFunc: ({ inputs, attrs }) => {
        seen.push({ ...attrs });
        // Any output will do: identity of q, through the backend's own kernel.
        return tf.engine().runKernel('Identity', { x: inputs.q as tf.Tensor }) as unknown as tf.TensorInfo;
      },
    });
    try {
      tf.dispose(fusedAttentionKernel.run({ q: x, k: x, v: x }, {}));
      tf.dispose(fusedAttentionKernel.run({ q: x, k: x, v: x }, { scale: 2, causal: true }));
      expect(seen).toEqual([
        { scale: 0.25, causal: false },
        { scale: 2, causal: true },
      ]);
      expect(() => fusedAttentionKernel.run({ q: x, k: x, v: x }, { scale: Number.NaN })).toThrow(
        /attrs\.scale/,
      );
      expect(seen).toHaveLength(2); // rejected before the kernel ran
    } finally {
      tf.unregisterKernel(fusedAttentionKernel.name, backend);
    }
    x.dispose();
  });
});
