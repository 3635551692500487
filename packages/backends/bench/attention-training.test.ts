import { expectNoLeaks, referenceAttentionGrad, useBackend } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../src/index.js';
import {
  type AttentionTrainingSizes,
  attentionTrainingCases,
  attentionTrainingRatios,
  caseName,
  ISSUE_18_SIZES,
  type PatternName,
  patternMask,
} from './attention-training.bench.js';

/**
 * Smoke test of the attention-training bench at small sizes: every case runs once on wasm with the kernels
 * registered, leaks nothing, and computes what its name says — gradients checked against the float64 analytic
 * attention gradient (`referenceAttentionGrad`, test-utils) for the dense and block-sparse cases, and against
 * the same function's tfjs-ops reference path differentiated by tfjs for causal linear attention.
 * Tolerance: 2e-4 absolute + 2e-4 relative (float32 accumulation over ≤ 256 keys).
 */
const SMALL: AttentionTrainingSizes = {
  heads: 2,
  headDim: 16,
  dense: [33, 64],
  memory: 96,
  sparse: 128,
  blockSize: 16,
  radius: 16,
  linear: [64, 256],
};
const TOLERANCE = 2e-4;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) - TOLERANCE * (1 + Math.abs(expected[i]!));
    worst = Math.max(worst, excess);
  }
  expect(worst, `${what}: largest excess over the tolerance`).toBe(0);
}

type Case = ReturnType<typeof attentionTrainingCases>[number];
const cases = attentionTrainingCases(SMALL);
const byName = (name: string): Case => {
  const c = cases.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no case ${name}`);
  return c;
};

/** Runs a case once (setup, run, read, dispose) and returns its outputs' values. */
function runOnce(c: Case): { inputs: Record<string, Float32Array>; outputs: Float32Array[] } {
  const inputs = c.setup() as Record<string, tf.Tensor>;
  const out = c.run(inputs);
  const outputs = (Array.isArray(out) ? out : [out]).map((t) => (t as tf.Tensor).dataSync() as Float32Array);
  tf.dispose(out);
  const values = Object.fromEntries(
    Object.entries(inputs)
      .filter(([, t]) => t instanceof tf.Tensor)
      .map(([name, t]) => [name, t.dataSync() as Float32Array]),
  );
  tf.dispose(inputs);
  return { inputs: values, outputs };
}

describe('attention-training bench (small sizes, wasm with the kernels)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    await registerWasmKernels({ threads: 1 });
  });
  afterAll(() => unregisterWasmKernels());

  it('declares every ratio over cases it has', () => {
    const names = new Set(cases.map((c) => c.name));
    for (const sizes of [SMALL, ISSUE_18_SIZES]) {
      const all = new Set(attentionTrainingCases(sizes).map((c) => c.name));
      for (const r of attentionTrainingRatios(sizes)) {
        expect(all.has(r.numerator), r.numerator).toBe(true);
        expect(all.has(r.denominator), r.denominator).toBe(true);
      }
    }
    expect(names.size).toBe(cases.length);
  });

  const dims = (n: number) => ({
    batch: 1,
    heads: SMALL.heads,
    kvHeads: SMALL.heads,
    qLen: n,
    kvLen: n,
    headDim: SMALL.headDim,
    valueDim: SMALL.headDim,
  });

  for (const n of [...SMALL.dense, SMALL.memory]) {
    it(`dense causal fused and autograd fwd+bwd at N=${n} equal the float64 gradient`, () => {
      const names = [caseName.fusedTraining(n), ...(SMALL.dense.includes(n) ? [caseName.autograd(n)] : [])];
      for (const name of names) {
        expectNoLeaks(() => {
          const { inputs, outputs } = runOnce(byName(name));
          const ref = referenceAttentionGrad({ ...dims(n), ...inputs } as never, inputs.dOut!, {
            causal: true,
          });
          expectClose(outputs[0]!, ref.dq, `${name} dq`);
          expectClose(outputs[1]!, ref.dk, `${name} dk`);
          expectClose(outputs[2]!, ref.dv, `${name} dv`);
        });
      }
    });
  }

  it('the fused forward case is the causal attention output', () => {
    const n = SMALL.dense[0]!;
    expectNoLeaks(() => {
      const { inputs, outputs } = runOnce(byName(caseName.fusedForward(n)));
      const ref = referenceAttentionGrad({ ...dims(n), ...inputs } as never, inputs.dOut!, { causal: true });
      expectClose(outputs[0]!, ref.output, 'fused forward');
    });
  });

  for (const pattern of ['sliding window', 'longformer', 'bigbird'] as PatternName[]) {
    it(`block-sparse ${pattern} fwd+bwd equals the float64 gradient under the pattern's mask`, () => {
      const n = SMALL.sparse;
      const mask = patternMask(SMALL, pattern);
      expect(mask.sparsity()).toBeGreaterThan(0);
      expectNoLeaks(() => {
        const { inputs, outputs } = runOnce(byName(caseName.sparseTraining(pattern, n)));
        const ref = referenceAttentionGrad({ ...dims(n), ...inputs } as never, inputs.dOut!, {
          allowed: (b, h, q, kv) => mask.maskMod(b, h, q, kv),
        });
        expectClose(outputs[0]!, ref.dq, 'dq');
        expectClose(outputs[1]!, ref.dk, 'dk');
        expectClose(outputs[2]!, ref.dv, 'dv');
      });
      // The dense denominator of the ratio: the same gradient with every key allowed.
      expectNoLeaks(() => {
        const { inputs, outputs } = runOnce(byName(caseName.denseTraining(n)));
        const ref = referenceAttentionGrad({ ...dims(n), ...inputs } as never, inputs.dOut!);
        expectClose(outputs[2]!, ref.dv, 'dense dv');
      });
    });
  }

  for (const n of SMALL.linear) {
    it(`causal linear fwd+bwd at N=${n} equals the tfjs-ops reference path's gradient`, () => {
      const c = byName(caseName.linearTraining(n));
      const before = tf.memory().numTensors;
      const fast = runOnce(c);
      expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
      // The same case with this package's kernels taken out of tfjs's registry: core's references run.
      const ours = tf.getKernelsForBackend('wasm').filter((k) => k.kernelName.startsWith('EA'));
      for (const k of ours) tf.unregisterKernel(k.kernelName, k.backendName);
      let reference: ReturnType<typeof runOnce>;
      try {
        expect(() => c.setup()).toThrow(/EACausalLinearAttention has no kernel on wasm/);
        const inputs = {
          q: tf.randomNormal([1, SMALL.heads, n, SMALL.headDim], 0, 1, 'float32', 1),
          k: tf.randomNormal([1, SMALL.heads, n, SMALL.headDim], 0, 1, 'float32', 2),
          v: tf.randomNormal([1, SMALL.heads, n, SMALL.headDim], 0, 1, 'float32', 3),
          dOut: tf.randomNormal([1, SMALL.heads, n, SMALL.headDim], 0, 1, 'float32', 4),
        };
        reference = runOnce({ ...c, setup: () => inputs });
      } finally {
        for (const k of ours) tf.registerKernel(k);
      }
      for (const [i, what] of ['dq', 'dk', 'dv'].entries()) {
        expectClose(fast.outputs[i]!, reference.outputs[i]!, what);
      }
    });
  }
});
