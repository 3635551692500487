import {
  type MechanismApplyOptions,
  type MechanismDefinition,
  type MechanismRegistry,
  scaledDotProductAttention,
} from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  relativeError,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

/** The shape every mechanism is checked on: long enough for blocks, windows, landmarks and buckets. */
export const CONFORMANCE_SHAPE = { batch: 1, heads: 2, seqLen: 128, headDim: 16 } as const;

/**
 * Registers one vitest suite per registry entry and backend: the output is compared with dense attention
 * (exact mechanisms, under their `denseEquivalent` options, atol 1e-4 / rtol 1e-3), or its relative error with
 * the capability's tolerance (approximate ones); causal support is exercised or must throw; no tensor leaks;
 * trainable mechanisms get finite, non-zero gradients.
 */
export function describeRegistryConformance(registry: MechanismRegistry): void {
  for (const def of registry.list()) describeMechanismConformance(def);
}

function runCase(def: MechanismDefinition, options: MechanismApplyOptions, seed: number): void {
  const { batch, heads, seqLen, headDim } = CONFORMANCE_SHAPE;
  const shape = [batch, heads, seqLen, headDim];
  const inst = def.create({}, { seed, heads, headDim, seqLen });
  const q = seededTensor(shape, seed + 1);
  const k = seededTensor(shape, seed + 2);
  const v = seededTensor(shape, seed + 3);
  try {
    const out = inst.apply(q.tensor, k.tensor, v.tensor, options);
    expect(out.shape).toEqual(shape);
    const values = out.dataSync();
    expect(values.every(Number.isFinite), 'output has NaN or ∞').toBe(true);
    const acc = def.capabilities.accuracy;
    if (acc.kind !== 'different') {
      const dense = scaledDotProductAttention(
        q.tensor,
        k.tensor,
        v.tensor,
        acc.kind === 'exact' && inst.denseEquivalent
          ? inst.denseEquivalent(options, { qLen: seqLen, kvLen: seqLen })
          : options,
      );
      if (acc.kind === 'exact') {
        expectTensorsClose(out, dense, { atol: 1e-4, rtol: 1e-3 });
      } else {
        expect(relativeError(values, dense.dataSync())).toBeLessThanOrEqual(acc.tolerance);
      }
      dense.dispose();
    }
    out.dispose();
    expectNoLeaks(() => inst.apply(q.tensor, k.tensor, v.tensor, options));
  } finally {
    tf.dispose([q.tensor, k.tensor, v.tensor]);
    inst.dispose();
  }
}

/** The conformance suite of one mechanism (see {@link describeRegistryConformance}). */
export function describeMechanismConformance(def: MechanismDefinition): void {
  describeBackends(`mechanism ${def.name}`, () => {
    it('has frozen capabilities, a title and a paper', () => {
      expect(Object.isFrozen(def.capabilities)).toBe(true);
      expect(Object.isFrozen(def.capabilities.accuracy)).toBe(true);
      expect(def.title.length).toBeGreaterThan(0);
      expect(def.paper.url).toMatch(/^https:\/\//);
      expect(def.paper.title.length).toBeGreaterThan(0);
    });

    it('matches dense attention (non-causal) within its documented bound', () => {
      runCase(def, {}, 11);
    });

    it(
      def.capabilities.supportsCausal ? 'matches causal dense attention' : 'rejects causal with an error',
      () => {
        if (def.capabilities.supportsCausal) {
          runCase(def, { causal: true }, 23);
          return;
        }
        const { heads, headDim, seqLen } = CONFORMANCE_SHAPE;
        const inst = def.create({}, { seed: 0, heads, headDim, seqLen });
        const x = tf.zeros([1, heads, seqLen, headDim]);
        expect(() => inst.apply(x, x, x, { causal: true })).toThrow(/causal/i);
        x.dispose();
        inst.dispose();
      },
    );

    it('trainable parameters receive finite, non-zero gradients', () => {
      const { heads, headDim, seqLen } = CONFORMANCE_SHAPE;
      const inst = def.create({}, { seed: 5, heads, headDim, seqLen });
      const names = Object.keys(inst.params);
      expect(names.length > 0).toBe(def.capabilities.trainableParameters);
      if (names.length > 0) {
        const q = seededTensor([1, heads, seqLen, headDim], 31);
        const { grads, value } = tf.variableGrads(
          () => tf.sum(tf.square(inst.apply(q.tensor, q.tensor, q.tensor))) as tf.Scalar,
        );
        const all = Object.values(grads);
        expect(all.length).toBeGreaterThan(0);
        expect(all.some((g) => tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!) > 0)).toBe(true);
        expect(all.every((g) => g.dataSync().every(Number.isFinite))).toBe(true);
        tf.dispose([q.tensor, value, ...all]);
      }
      inst.dispose();
    });
  });
}
