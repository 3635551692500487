import { ternaryMatMul } from '@efficient-attention/core';
import {
  createFuzzReport,
  describeBackends,
  disposedTensor,
  expectCloseWithNaNs,
  expectContract,
  fuzzParameters,
  fuzzValues,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { quantizeActivations } from './activation-quantization.js';
import { referenceActivationQuantize, referenceWeightQuantize } from './reference-quantizers.test-support.js';
import { registerBitnetKernels } from './register-bitnet-kernels.js';
import { packTernary, unpackTernary } from './ternary-packing.js';
import { quantizeWeights } from './weight-quantization.js';

/**
 * Fuzz properties of bitnet (issue 21): the weight quantisers equal their closed forms (absmean ternary of
 * BitNet b1.58, sign of BitNet), the activation quantiser equals absmax int8, packing is the identity after
 * unpacking for both formats, and `ternaryMatMul` (the cpu kernel after `registerBitnetKernels`, else the
 * reference) equals the float64 product; invalid arguments throw a typed error naming them.
 * Knobs: FUZZ_RUNS, FUZZ_SEED (test-utils' fuzz.ts).
 */
const report = createFuzzReport('bitnet');

const matrixCase = fc.record({
  rows: fc.integer({ min: 1, max: 48 }),
  cols: fc.oneof(fc.constantFrom(1, 3, 16, 64, 80), fc.integer({ min: 1, max: 80 })),
  std: fc.constantFrom(1e-6, 0.02, 1, 50),
  zeros: fc.boolean(),
  seed: fc.nat(1_000_000),
});

function matrix(c: { rows: number; cols: number; std: number; zeros: boolean; seed: number }): Float32Array {
  const x = fuzzValues('w', c.rows * c.cols, c.seed, [], c.std);
  // Exact zeros and a zero row: absmean / absmax floors (1e-5) and Sign(0).
  if (c.zeros) x.fill(0, 0, Math.min(x.length, c.cols));
  return x;
}

/** What an invalid case's error must name. */
const BAD_NAMES = {
  bits: /options\.bits/,
  format: /\bformat\b/,
  values: /\bvalues\b/,
  // A k that disagrees with the tensors may be named by the tensor it disagrees with.
  k: /\bk\b|activations|weights/,
  activationScales: /activationScales/,
} as const;

describeBackends('bitnet fuzz', (backend) => {
  it('fuzz: quantizeWeights (1.58 and 1 bit) = the absmean closed forms in float64', () => {
    const property = 'quantizeWeights';
    fc.assert(
      fc.property(matrixCase, fc.constantFrom(1 as const, 1.58 as const), (c, bits) => {
        const w = matrix(c);
        const weight = tf.tensor2d(w, [c.rows, c.cols]);
        const want = referenceWeightQuantize(w, bits);
        try {
          expectContract(
            () => {
              const { values, scale } = quantizeWeights(weight, { bits });
              const got = values.dataSync();
              const s = scale.dataSync()[0]!;
              tf.dispose([values, scale]);
              expectCloseWithNaNs([s], [want.scale], { atol: 0, rtol: 1e-5 }, 'scale');
              for (let i = 0; i < got.length; i++) {
                if (!want.ambiguous[i]) expect(got[i], `value ${i} (w = ${w[i]})`).toBe(want.values[i]);
              }
            },
            { property, report },
          );
        } finally {
          weight.dispose();
        }
      }),
      fuzzParameters(property, 30),
    );
  });

  it('fuzz: quantizeActivations = per-token absmax int8 (values, scales = 1 / multiplier)', () => {
    const property = 'quantizeActivations';
    fc.assert(
      fc.property(matrixCase, (c) => {
        const x = matrix(c);
        const input = tf.tensor2d(x, [c.rows, c.cols]);
        const want = referenceActivationQuantize(x, c.cols);
        try {
          expectContract(
            () => {
              const { values, scales } = quantizeActivations(input);
              expect(values.dtype).toBe('int32');
              expect(scales.shape).toEqual([c.rows, 1]);
              const got = values.dataSync();
              const sc = scales.dataSync();
              tf.dispose([values, scales]);
              for (let i = 0; i < got.length; i++) {
                if (!want.ambiguous[i]) expect(got[i], `value ${i} (x = ${x[i]})`).toBe(want.q[i]);
              }
              expectCloseWithNaNs(
                sc,
                Array.from(want.multiplier, (m) => 1 / m),
                { atol: 0, rtol: 1e-6 },
                'scales',
              );
            },
            { property, report },
          );
        } finally {
          input.dispose();
        }
      }),
      fuzzParameters(property, 30),
    );
  });

  it('fuzz: unpackTernary(packTernary(t)) = t for both formats and any row length', () => {
    const property = 'pack/unpack identity';
    const packCase = fc.record({
      rows: fc.integer({ min: 1, max: 8 }),
      rowLength: fc.oneof(fc.constantFrom(1, 5, 15, 16, 17, 20, 21), fc.integer({ min: 1, max: 100 })),
      format: fc.constantFrom('i2s' as const, 'tq1' as const),
      seed: fc.nat(1_000_000),
    });
    fc.assert(
      fc.property(packCase, (c) => {
        const u = fuzzValues('t', c.rows * c.rowLength, c.seed);
        const t = Int8Array.from(u, (x) => (x > 0.5 ? 1 : x < -0.5 ? -1 : 0));
        expectContract(
          () => {
            const packed = packTernary(t, c.format, { rowLength: c.rowLength });
            expect(Array.from(unpackTernary(packed))).toEqual(Array.from(t));
          },
          { property, report },
        );
      }),
      fuzzParameters(property, 40),
    );
  });

  it('fuzz: ternaryMatMul = (Σ a·t)·s_m·β in float64 for both formats and both scale shapes', () => {
    const property = 'ternaryMatMul';
    // On cpu the package's typed-array kernel runs; on wasm (no kernel here) the reference does.
    if (backend === 'cpu') registerBitnetKernels();
    const mmCase = fc.record({
      m: fc.integer({ min: 1, max: 12 }),
      k: fc.oneof(fc.constantFrom(1, 5, 16, 64, 80), fc.integer({ min: 1, max: 96 })),
      n: fc.integer({ min: 1, max: 24 }),
      format: fc.constantFrom('i2s' as const, 'tq1' as const),
      rankOneScales: fc.boolean(),
      beta: fc.double({ min: 1e-3, max: 4, noNaN: true }),
      seed: fc.nat(1_000_000),
    });
    fc.assert(
      fc.property(mmCase, (c) => {
        const a = Int32Array.from(fuzzValues('a', c.m * c.k, c.seed, [], 60), (x) =>
          Math.max(-128, Math.min(127, Math.round(x))),
        );
        // t as N packed rows of K (row n = column n of W [K, N]).
        const t = Int8Array.from(fuzzValues('t', c.n * c.k, c.seed + 1), (x) =>
          x > 0.5 ? 1 : x < -0.5 ? -1 : 0,
        );
        const s = Float32Array.from(fuzzValues('s', c.m, c.seed + 2), (x) => Math.abs(x) / 127 + 1e-4);
        const beta = Math.fround(c.beta);
        const packed = packTernary(t, c.format, { rowLength: c.k });
        const inputs = {
          activations: tf.tensor2d(a, [c.m, c.k], 'int32'),
          weights: tf.tensor2d(packed.words, [c.n, packed.words.length / c.n], 'int32'),
          weightScale: tf.scalar(beta),
          activationScales: c.rankOneScales ? tf.tensor1d(s) : tf.tensor2d(s, [c.m, 1]),
        };
        const want = new Float64Array(c.m * c.n);
        for (let i = 0; i < c.m; i++)
          for (let j = 0; j < c.n; j++) {
            let acc = 0;
            for (let q = 0; q < c.k; q++) acc += a[i * c.k + q]! * t[j * c.k + q]!;
            want[i * c.n + j] = acc * s[i]! * beta;
          }
        try {
          expectContract(
            () => {
              const out = ternaryMatMul(inputs, { k: c.k, n: c.n, format: c.format });
              expect(out.shape).toEqual([c.m, c.n]);
              // The integer sum is exact; two float32 scalings round twice.
              expectCloseWithNaNs(out.dataSync(), want, { atol: 1e-6, rtol: 1e-6 }, property);
              out.dispose();
            },
            { property, report },
          );
        } finally {
          tf.dispose(Object.values(inputs));
        }
      }),
      fuzzParameters(property, 30),
    );
  });

  it('fuzz: invalid bits, formats, packed shapes and scales throw a typed error naming the parameter', () => {
    const property = 'invalid arguments';
    const badCase = fc.oneof(
      fc.record({
        kind: fc.constant('bits' as const),
        value: fc.constantFrom(2, 1.5, 0, '1.58', Number.NaN),
      }),
      fc.record({ kind: fc.constant('format' as const), value: fc.constantFrom('i2', 'tq2', 3, null) }),
      fc.record({ kind: fc.constant('values' as const), value: fc.constantFrom(null, 5, 'abc') }),
      fc.record({ kind: fc.constant('k' as const), value: fc.constantFrom(0, -1, 1.5, 7, Number.NaN) }),
      fc.record({
        kind: fc.constant('activationScales' as const),
        value: fc.constantFrom('row', 'wrong-length'),
      }),
    );
    fc.assert(
      fc.property(badCase, (c) => {
        // Inputs are made outside the contract: it counts every tensor left after the call as a leak.
        const packed = packTernary(new Int8Array(2 * 4), 'i2s', { rowLength: 4 });
        const weight = tf.ones([2, 3]);
        const inputs = {
          activations: tf.zeros([3, 4], 'int32'),
          weights: tf.tensor2d(packed.words, [2, 1], 'int32'),
          weightScale: tf.scalar(1),
          activationScales:
            c.kind === 'activationScales'
              ? c.value === 'row'
                ? tf.ones([1, 3])
                : tf.ones([5])
              : tf.ones([3]),
        };
        try {
          expectContract(
            () => {
              switch (c.kind) {
                case 'bits':
                  return quantizeWeights(weight, { bits: c.value as 1 });
                case 'format':
                  return void packTernary([1, 0, -1], c.value as 'i2s');
                case 'values':
                  return void packTernary(c.value as unknown as number[], 'i2s');
                case 'k':
                case 'activationScales':
                  return ternaryMatMul(inputs, {
                    k: c.kind === 'k' ? (c.value as number) : 4,
                    n: 2,
                    format: 'i2s',
                  });
              }
            },
            { property, report, mustThrow: BAD_NAMES[c.kind] },
          );
        } finally {
          tf.dispose([weight, ...Object.values(inputs)]);
        }
      }),
      fuzzParameters(property, 30),
    );
  });

  it('fuzz: a disposed weight or activation throws a typed error naming it (issue 21: disposed inputs)', () => {
    const property = 'disposed inputs';
    fc.assert(
      fc.property(fc.constantFrom('weight', 'x'), (which) => {
        expectContract(
          () =>
            which === 'weight'
              ? quantizeWeights(disposedTensor([2, 3]))
              : quantizeActivations(disposedTensor([2, 3])),
          { property, report, mustThrow: new RegExp(`\`${which}\``) },
        );
      }),
      fuzzParameters(property, 2),
    );
  });
});
