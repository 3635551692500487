import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededNormalValues,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../random.js';
import {
  type TernaryMatMulAttrs,
  type TernaryMatMulInputs,
  type TernaryPackingFormat,
  ternaryMatMul,
  ternaryMatMulKernel,
  ternaryWordsPerRow,
} from './ternary-matmul.js';

/**
 * The format spec read back independently of the library, in integer arithmetic: i2s field j of a word is
 * bits 2j..2j+1 and means t = code − 1; a tq1 byte's base-3 digits i = 0..4 mean t = digit − 1.
 */
function decodeRow(words: Int32Array, offset: number, k: number, format: TernaryPackingFormat): number[] {
  const t: number[] = [];
  for (let j = 0; j < k; j++) {
    if (format === 'i2s') {
      t.push(((words[offset + (j >> 4)]! >>> (2 * (j & 15))) & 3) - 1);
    } else {
      const byteIndex = Math.floor(j / 5);
      const byte = (words[offset + (byteIndex >> 2)]! >>> (8 * (byteIndex & 3))) & 255;
      t.push((Math.floor(byte / 3 ** (j % 5)) % 3) - 1);
    }
  }
  return t;
}

interface Case {
  m: number;
  k: number;
  n: number;
  format: TernaryPackingFormat;
  seed: number;
}

/** Random int8 activations, arbitrary int32 words (invalid codes and padding included), random scales. */
function buildCase({ m, k, n, format, seed }: Case) {
  const rng = createRandom(seed);
  const words = ternaryWordsPerRow(k, format);
  const activations = Int32Array.from({ length: m * k }, () => rng.int(256) - 128);
  const packed = Int32Array.from({ length: n * words }, () => (rng.int(2 ** 16) << 16) | rng.int(2 ** 16));
  const activationScales = Float32Array.from({ length: m }, () => rng.uniform() * 0.1);
  const weightScale = Math.fround(0.01 + rng.uniform());
  // Expected: exact integer sums, then the two float32 roundings the contract specifies.
  const expected = new Float32Array(m * n);
  for (let col = 0; col < n; col++) {
    const t = decodeRow(packed, col * words, k, format);
    for (let row = 0; row < m; row++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc += activations[row * k + j]! * t[j]!;
      expected[row * n + col] = Math.fround(Math.fround(acc * activationScales[row]!) * weightScale);
    }
  }
  const inputs: TernaryMatMulInputs = {
    activations: tf.tensor2d(activations, [m, k], 'int32'),
    weights: tf.tensor2d(packed, [n, words], 'int32'),
    weightScale: tf.scalar(weightScale),
    activationScales: tf.tensor1d(activationScales),
  };
  return {
    inputs,
    attrs: { k, n, format },
    expected,
    raw: { activations, packed, activationScales, weightScale },
  };
}

/**
 * The gradients of Σ dy ⊙ out in float64 from `out[m, n] = s_m·β·Σ_k a[m, k]·t[k, n]`, with t decoded by
 * the spec above: dA = s·β·dy·tᵀ, dβ = Σ dy ⊙ s·(a·t), ds = β·rowsum(dy ⊙ a·t). `scale` is Σ|terms| of
 * the scale gradients, for float32 tolerances.
 */
function ternaryGradFloat64(c: ReturnType<typeof buildCase>, dy: Float32Array, { m, k, n, format }: Case) {
  const { activations, packed, activationScales, weightScale } = c.raw;
  const words = ternaryWordsPerRow(k, format);
  const dA = new Float64Array(m * k);
  const dScales = new Float64Array(m);
  let dBeta = 0;
  let scale = 0;
  for (let col = 0; col < n; col++) {
    const t = decodeRow(packed, col * words, k, format);
    for (let row = 0; row < m; row++) {
      let acc = 0;
      for (let j = 0; j < k; j++) {
        acc += activations[row * k + j]! * t[j]!;
        dA[row * k + j]! += activationScales[row]! * weightScale * dy[row * n + col]! * t[j]!;
      }
      const term = dy[row * n + col]! * acc;
      dScales[row]! += weightScale * term;
      dBeta += activationScales[row]! * term;
      scale += Math.abs(term);
    }
  }
  return { dA, dScales, dBeta, scale };
}

const caseArbitrary = fc.record({
  m: fc.integer({ min: 1, max: 4 }),
  k: fc.integer({ min: 1, max: 70 }),
  n: fc.integer({ min: 1, max: 9 }),
  format: fc.constantFrom<TernaryPackingFormat>('i2s', 'tq1'),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describeBackends('ternaryMatMul (EATernaryMatMul reference)', () => {
  it('computes the hand-worked example of its TSDoc', () => {
    const inputs = {
      activations: tf.tensor2d([[3, -2]], [1, 2], 'int32'),
      weights: tf.tensor2d([[2], [9]], [2, 1], 'int32'),
      weightScale: tf.scalar(2),
      activationScales: tf.tensor1d([0.5]),
    };
    const out = ternaryMatMul(inputs, { k: 2, n: 2, format: 'i2s' });
    expect(out.shape).toEqual([1, 2]);
    expect(Array.from(out.dataSync())).toEqual([5, -2]);
    tf.dispose([out, ...Object.values(inputs)]);
  });

  it('equals the integer product of the decoded words exactly (random shapes, formats, codes)', () => {
    // Exact equality: integer sums below 2^24 are exact in float32, and the scalings round identically.
    fc.assert(
      fc.property(caseArbitrary, (p) => {
        const c = buildCase(p);
        try {
          const out = ternaryMatMulKernel.reference(c.inputs, c.attrs);
          expect(out.shape).toEqual([p.m, p.n]);
          expect(Array.from(out.dataSync())).toEqual(Array.from(c.expected));
          out.dispose();
          expectNoLeaks(() => ternaryMatMul(c.inputs, c.attrs));
        } finally {
          tf.dispose(Object.values(c.inputs));
        }
      }),
      { numRuns: 40, seed: 20261123 },
    );
  });

  it('reads tq1 bytes 243–255 as their value − 243 and i2s code 3 as t = 2, as documented', () => {
    // tq1 byte 250 → 250 − 243 = 7 = 1 + 2·3 → digits (1, 2, 0, 0, 0) → t = (0, 1, −1, −1, −1).
    const ones = tf.tensor2d([[1, 10, 100, 1000, 10000]], [1, 5], 'int32');
    const scales = { weightScale: tf.scalar(1), activationScales: tf.tensor1d([1]) };
    const tq1 = ternaryMatMul(
      { activations: ones, weights: tf.tensor2d([[250]], [1, 1], 'int32'), ...scales },
      {
        k: 5,
        n: 1,
        format: 'tq1',
      },
    );
    expect(Array.from(tq1.dataSync())).toEqual([10 - 100 - 1000 - 10000]);
    // i2s word 0b11_01 → codes (1, 3) → t = (0, 2).
    const i2s = ternaryMatMul(
      {
        activations: tf.tensor2d([[7, 5]], [1, 2], 'int32'),
        weights: tf.tensor2d([[0b1101]], [1, 1], 'int32'),
        ...scales,
      },
      { k: 2, n: 1, format: 'i2s' },
    );
    expect(Array.from(i2s.dataSync())).toEqual([10]);
    tf.dispose([ones, tq1, i2s, ...Object.values(scales)]);
  });

  it('takes activationScales as [M, 1] (the shape quantizeActivations returns) exactly as [M]; rejects [1, M] and [M, 2]', () => {
    fc.assert(
      fc.property(caseArbitrary, (p) => {
        const c = buildCase(p);
        const column = tf.reshape(c.inputs.activationScales, [p.m, 1]);
        try {
          const out = ternaryMatMul({ ...c.inputs, activationScales: column }, c.attrs);
          expect(out.shape).toEqual([p.m, p.n]);
          expect(Array.from(out.dataSync())).toEqual(Array.from(c.expected));
          out.dispose();
          expectNoLeaks(() => ternaryMatMul({ ...c.inputs, activationScales: column }, c.attrs));
        } finally {
          tf.dispose([column, ...Object.values(c.inputs)]);
        }
      }),
      { numRuns: 20, seed: 2110 },
    );
    const c = buildCase({ m: 2, k: 20, n: 3, format: 'i2s', seed: 1 });
    const row = tf.ones([1, 2]);
    const wide = tf.ones([2, 2]);
    for (const scales of [row, wide]) {
      expect(() => ternaryMatMul({ ...c.inputs, activationScales: scales }, c.attrs)).toThrow(
        /`activationScales.shape` must be \[2\] or \[2, 1\]/,
      );
    }
    tf.dispose([row, wide, ...Object.values(c.inputs)]);
  });

  it('rejects wrong dtypes, shapes and attributes with errors naming the parameter', () => {
    const c = buildCase({ m: 2, k: 20, n: 3, format: 'i2s', seed: 1 });
    const bad =
      (inputs: Partial<typeof c.inputs>, attrs: object = c.attrs) =>
      () =>
        ternaryMatMul({ ...c.inputs, ...inputs } as typeof c.inputs, attrs as typeof c.attrs);
    const floatActivations = tf.cast(c.inputs.activations, 'float32');
    const fewWords = tf.zeros([3, 1], 'int32');
    const vectorScale = tf.ones([1]);
    const wrongScales = tf.ones([3]);
    expect(bad({ activations: floatActivations })).toThrow(
      /`activations.dtype` must be "int32", received "float32"/,
    );
    expect(bad({ weights: fewWords })).toThrow(/`weights.shape` must be \[3, 2\], received \[3, 1\]/);
    expect(bad({ weightScale: vectorScale })).toThrow(/`weightScale.shape` must be \[\], received \[1\]/);
    expect(bad({ activationScales: wrongScales })).toThrow(/`activationScales.shape` must be \[2\]/);
    expect(bad({}, { ...c.attrs, k: 21 })).toThrow(
      /`activations.shape` must be \[2, 21\], received \[2, 20\]/,
    );
    expect(bad({}, { ...c.attrs, format: 'q4' })).toThrow(
      /`attrs.format` must be one of i2s, tq1, received "q4"/,
    );
    expect(bad({}, { ...c.attrs, transpose: true })).toThrow(/`attrs.transpose` must be one of the known/);
    expect(bad({}, { ...c.attrs, k: 2 ** 20 })).toThrow(/`attrs.k` must be an integer ≥ 1 ≤ 131072/);
    tf.dispose([floatActivations, fewWords, vectorScale, wrongScales, ...Object.values(c.inputs)]);
  });

  it('sizes packed rows as the formats specify', () => {
    expect(ternaryWordsPerRow(2048, 'i2s')).toBe(128);
    expect(ternaryWordsPerRow(17, 'i2s')).toBe(2);
    expect(ternaryWordsPerRow(2048, 'tq1')).toBe(103); // ⌈2048/5⌉ = 410 bytes → 103 words
    expect(ternaryWordsPerRow(20, 'tq1')).toBe(1);
    expect(ternaryWordsPerRow(21, 'tq1')).toBe(2);
    expect(() => ternaryWordsPerRow(0, 'i2s')).toThrow(/`k` must be an integer ≥ 1, received 0/);
  });
});

/** `tf.grads` of Σ dy ⊙ ternaryMatMul over the four inputs, against {@link ternaryGradFloat64}. */
function expectTernaryGradients(p: Case): void {
  const c = buildCase(p);
  const dyValues = seededNormalValues(p.m * p.n, p.seed + 1);
  const dy = tf.tensor2d(dyValues, [p.m, p.n]);
  try {
    const [dA, dW, dBeta, dScales] = tf.grads((a, w, beta, s) =>
      tf.sum(
        tf.mul(
          dy,
          ternaryMatMul({ activations: a, weights: w, weightScale: beta, activationScales: s }, c.attrs),
        ),
      ),
    )([c.inputs.activations, c.inputs.weights, c.inputs.weightScale, c.inputs.activationScales]);
    const want = ternaryGradFloat64(c, dyValues, p);
    // dA: sums of ≤ 9 float32 products of O(1) values (t ∈ {−1, 0, 1, 2}, dy normal), times s·β ≤ 0.11.
    expectTensorsClose(dA!, want.dA, { atol: 1e-6, rtol: 1e-5 });
    // The packed int32 weights get no gradient: zeros, float32 as tfjs requires.
    expect(dW!.dtype).toBe('float32');
    expect(Array.from(dW!.dataSync())).toEqual(new Array(dW!.size).fill(0));
    // Scale gradients sum ≤ 36 float32 terms whose exact integer parts reach 128·70·2: error ≤ 2e-6·Σ|terms|.
    const atol = 1e-5 * want.scale + 1e-7;
    expectTensorsClose(dBeta!, [want.dBeta], { atol, rtol: 0 });
    expectTensorsClose(dScales!, want.dScales, { atol, rtol: 0 });
    tf.dispose([dA!, dW!, dBeta!, dScales!]);
  } finally {
    tf.dispose([dy, ...Object.values(c.inputs)]);
  }
}

describeBackends('ternaryMatMul gradients', (backend) => {
  it('through the reference (no kernel): the float64 gradients, zeros for the packed weights', () => {
    fc.assert(
      fc.property(caseArbitrary, (p) => expectTernaryGradients(p)),
      { numRuns: 20, seed: 1812 },
    );
  });

  describe('with a kernel registered (it runs the reference, as a backend fallback would)', () => {
    let calls = 0;
    beforeAll(() => {
      tf.registerKernel({
        kernelName: ternaryMatMulKernel.name,
        backendName: backend,
        kernelFunc: ({ inputs, attrs }) => {
          calls++;
          return ternaryMatMulKernel.reference(
            inputs as unknown as TernaryMatMulInputs,
            attrs as unknown as TernaryMatMulAttrs,
          );
        },
      });
    });
    afterAll(() => tf.unregisterKernel(ternaryMatMulKernel.name, backend));

    it('gives the float64 gradients through the registered gradient', () => {
      fc.assert(
        fc.property(caseArbitrary, (p) => {
          calls = 0;
          expectTernaryGradients(p);
          // The forward, then A·T once for each scale gradient (through the kernel).
          expect(calls).toBe(3);
        }),
        { numRuns: 20, seed: 1813 },
      );
    });

    it('leaks no tensors; the activations alone need no second kernel run', () => {
      const p: Case = { m: 3, k: 37, n: 5, format: 'tq1', seed: 9 };
      const c = buildCase(p);
      const scales = tf.reshape(c.inputs.activationScales, [3, 1]); // quantizeActivations' shape
      calls = 0;
      expectNoLeaks(() =>
        tf.grad((a) =>
          tf.sum(ternaryMatMul({ ...c.inputs, activations: a, activationScales: scales }, c.attrs)),
        )(c.inputs.activations),
      );
      expect(calls).toBe(1);
      tf.dispose([scales, ...Object.values(c.inputs)]);
    });
  });
});

describe('ternaryMatMul gradient registration', () => {
  it('is registered with tfjs for EATernaryMatMul', () => {
    expect(ternaryMatMulKernel.hasGradient).toBe(true);
    expect(tf.getGradient(ternaryMatMulKernel.name)).toBeDefined();
  });
});
