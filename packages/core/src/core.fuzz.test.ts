import {
  attentionShapeArbitrary,
  caseMaskPredicate,
  createFuzzReport,
  describeBackends,
  disposedTensor,
  expectCloseWithNaNs,
  expectContract,
  type FuzzAttentionShape,
  fuzzAttentionInputs,
  fuzzParameters,
  invalidBooleanArbitrary,
  invalidNumberArbitrary,
  poisonArbitrary,
  referenceAttention,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { fusedAttentionKernel } from './kernels/fused-attention.js';
import { memoryEfficientAttention } from './memory-efficient-attention.js';
import { scaledDotProductAttention } from './scaled-dot-product-attention.js';

/**
 * Fuzz properties of core's attention entry points (issue 21): every case matches test-utils' float64
 * `referenceAttention` — NaN exactly where it has NaN, never a silent zero — or throws a typed error naming
 * the parameter; never a TypeError, a hang or a leak. Knobs: FUZZ_RUNS, FUZZ_SEED (see test-utils' fuzz.ts).
 */
const report = createFuzzReport('core');

type MaskKind = 'none' | 'predicate' | 'tensor';

const validCase = fc.record({
  shape: attentionShapeArbitrary(),
  causal: fc.boolean(),
  mask: fc.constantFrom<MaskKind>('none', 'none', 'predicate', 'tensor'),
  scale: fc.option(fc.double({ min: 0.01, max: 2, noNaN: true }), { nil: undefined }),
  // NaN and ±∞ in any input (±∞ in q or k: non-finite scores, scaled-dot-product-attention.regression).
  poisons: poisonArbitrary(['q', 'k', 'v']),
  queryChunkSize: fc.integer({ min: 1, max: 70 }),
  keyChunkSize: fc.integer({ min: 1, max: 70 }),
  seed: fc.nat(1_000_000),
});
type ValidCase = typeof validCase extends fc.Arbitrary<infer T> ? T : never;

function maskTensor(
  s: FuzzAttentionShape,
  predicate: (b: number, h: number, q: number, kv: number) => boolean,
) {
  const data = new Uint8Array(s.batch * s.heads * s.qLen * s.kvLen);
  let i = 0;
  for (let b = 0; b < s.batch; b++)
    for (let h = 0; h < s.heads; h++)
      for (let r = 0; r < s.qLen; r++)
        for (let c = 0; c < s.kvLen; c++) data[i++] = predicate(b, h, r, c) ? 1 : 0;
  return tf.tensor(data, [s.batch, s.heads, s.qLen, s.kvLen], 'bool');
}

/** Builds a valid case's inputs, its options and the float64 expectation, runs `attend` under the contract. */
function checkAgainstReference(
  property: string,
  c: ValidCase,
  attend: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: Record<string, unknown>) => tf.Tensor,
  { masks = true }: { masks?: boolean } = {},
): void {
  const x = fuzzAttentionInputs(c.shape, c.seed, c.poisons);
  const predicate = caseMaskPredicate(c.seed);
  const kind = masks ? c.mask : 'none';
  const mask =
    kind === 'none' ? undefined : kind === 'predicate' ? predicate : maskTensor(c.shape, predicate);
  const expected = referenceAttention(x.reference, {
    causal: c.causal,
    ...(c.scale === undefined ? {} : { scale: c.scale }),
    ...(kind === 'none' ? {} : { allowed: predicate }),
  }).output;
  const options = {
    causal: c.causal,
    ...(c.scale === undefined ? {} : { scale: c.scale }),
    ...(mask === undefined ? {} : { mask }),
  };
  try {
    expectContract(
      () => {
        const out = attend(x.q, x.k, x.v, options);
        expect(out.shape).toEqual([c.shape.batch, c.shape.heads, c.shape.qLen, c.shape.valueDim]);
        expectCloseWithNaNs(out.dataSync(), expected, {}, property);
        out.dispose();
      },
      { property, report },
    );
  } finally {
    x.dispose();
    if (mask instanceof tf.Tensor) mask.dispose();
  }
}

/** One invalid argument of an attention call, and the parameter the error must name. */
const invalidCase = fc.oneof(
  fc.record({
    kind: fc.constant('zero-length' as const),
    shape: attentionShapeArbitrary({ allowZero: true, maxLen: 4 }),
  }),
  fc.record({
    kind: fc.constantFrom('rank' as const, 'dtype' as const, 'kv-heads' as const, 'batch' as const),
  }),
  // null is left out: `scale: null` / `keyChunkSize: null` mean "the default", like undefined.
  fc.record({
    kind: fc.constant('scale' as const),
    value: invalidNumberArbitrary().filter((x) => x !== null),
  }),
  fc.record({ kind: fc.constant('causal' as const), value: invalidBooleanArbitrary() }),
  fc.record({
    kind: fc.constant('unknown-option' as const),
    value: fc.constantFrom('scal', 'casual', 'masks'),
  }),
  fc.record({
    kind: fc.constant('chunk' as const),
    value: invalidNumberArbitrary({ integer: true, min: 1 }).filter((x) => x !== null),
    which: fc.constantFrom('queryChunkSize', 'keyChunkSize'),
  }),
);
type InvalidCase = typeof invalidCase extends fc.Arbitrary<infer T> ? T : never;

/** Builds the arguments of an invalid case: q, k, v, options, and the parameter the error must name. */
function invalidArguments(c: InvalidCase) {
  const ok = () => [tf.ones([1, 2, 3, 4]), tf.ones([1, 1, 5, 4]), tf.ones([1, 1, 5, 4])] as tf.Tensor[];
  let [q, k, v] = ok() as [tf.Tensor, tf.Tensor, tf.Tensor];
  let options: Record<string, unknown> = {};
  let names: RegExp;
  const replace = (which: 'q' | 'k', t: tf.Tensor) => {
    if (which === 'q') {
      q.dispose();
      q = t;
    } else {
      k.dispose();
      k = t;
    }
  };
  switch (c.kind) {
    case 'zero-length': {
      tf.dispose([q, k, v]);
      const s = c.shape;
      q = tf.zeros([s.batch, s.heads, s.qLen, s.headDim]);
      k = tf.zeros([s.batch, s.kvHeads, s.kvLen, s.headDim]);
      v = tf.zeros([s.batch, s.kvHeads, s.kvLen, s.valueDim]);
      names = /shape/;
      break;
    }
    case 'rank':
      replace('q', tf.ones([2, 3, 4]));
      names = /`q`/;
      break;
    case 'dtype':
      replace('k', tf.ones([1, 1, 5, 4], 'int32'));
      names = /k\.dtype/;
      break;
    case 'kv-heads':
      tf.dispose([k, v]);
      k = tf.ones([1, 3, 5, 4]);
      v = tf.ones([1, 3, 5, 4]);
      names = /kv heads/;
      break;
    case 'batch':
      replace('k', tf.ones([2, 1, 5, 4]));
      names = /k\.shape\[0\]/;
      break;
    case 'scale':
      options = { scale: c.value };
      // The kernel contract names its attributes `attrs.*`, the functions their options `options.*`.
      names = /(options|attrs)\.scale/;
      break;
    case 'causal':
      options = { causal: c.value };
      names = /(options|attrs)\.causal/;
      break;
    case 'unknown-option':
      options = { [c.value]: 1 };
      names = new RegExp(`options\\.${c.value}`);
      break;
    case 'chunk':
      options = { [c.which]: c.value };
      names = new RegExp(`options\\.${c.which}`);
      break;
  }
  // Zero-length shapes with every size ≥ 1 are valid: only a zero makes the case invalid.
  const invalid = c.kind !== 'zero-length' || [...q.shape, ...k.shape, ...v.shape].includes(0);
  return { q, k, v, options, names, invalid, dispose: () => tf.dispose([q, k, v]) };
}

describeBackends('core fuzz', () => {
  it('fuzz: scaledDotProductAttention = float64 referenceAttention (NaN rule, GQA, causal, masks, q ≠ kv)', () => {
    const property = 'scaledDotProductAttention';
    fc.assert(
      fc.property(validCase, (c) => checkAgainstReference(property, c, scaledDotProductAttention)),
      fuzzParameters(property, 25),
    );
  });

  it('fuzz: memoryEfficientAttention = float64 referenceAttention for any chunk sizes', () => {
    const property = 'memoryEfficientAttention';
    fc.assert(
      fc.property(validCase, (c) =>
        checkAgainstReference(property, c, (q, k, v, o) =>
          memoryEfficientAttention(q, k, v, {
            ...o,
            queryChunkSize: c.queryChunkSize,
            keyChunkSize: c.keyChunkSize,
          }),
        ),
      ),
      fuzzParameters(property, 25),
    );
  });

  it('fuzz: fusedAttentionKernel.run (the contract, here its reference) = float64 referenceAttention', () => {
    const property = 'fusedAttentionKernel.run';
    fc.assert(
      fc.property(validCase, (c) =>
        checkAgainstReference(
          property,
          c,
          (q, k, v, o) =>
            fusedAttentionKernel.run(
              { q, k, v },
              { scale: (o.scale as number | undefined) ?? 1 / Math.sqrt(c.shape.headDim), causal: c.causal },
            ),
          { masks: false },
        ),
      ),
      fuzzParameters(property, 15),
    );
  });

  it('fuzz: invalid shapes, dtypes and options throw a typed error naming the parameter (every entry point)', () => {
    const property = 'invalid arguments';
    fc.assert(
      fc.property(invalidCase, fc.constantFrom('sdpa', 'memory-efficient', 'fused'), (c, entry) => {
        const a = invalidArguments(c);
        // The kernel contract takes attrs, not options: only attribute cases apply to it.
        if (
          entry === 'fused' &&
          !['zero-length', 'rank', 'dtype', 'kv-heads', 'batch', 'causal', 'scale'].includes(c.kind)
        ) {
          a.dispose();
          return;
        }
        try {
          expectContract(
            () => {
              if (entry === 'sdpa') return scaledDotProductAttention(a.q, a.k, a.v, a.options);
              if (entry === 'memory-efficient') return memoryEfficientAttention(a.q, a.k, a.v, a.options);
              const attrs = { scale: 0.5, causal: false, ...a.options } as { scale: number; causal: boolean };
              return fusedAttentionKernel.run({ q: a.q, k: a.k, v: a.v }, attrs);
            },
            { property, report, ...(a.invalid ? { mustThrow: a.names } : {}) },
          );
        } finally {
          a.dispose();
        }
      }),
      fuzzParameters(property, 40),
    );
  });

  // Issue 21 (one attribute rule): `scale` 0 or negative is accepted today on every path. Owned by the
  // attribute-rule fix; re-enable (drop `.fails`) when it lands.
  it('fuzz: a non-positive scale throws a typed error naming options.scale (issue 21: attribute rule)', () => {
    const property = 'non-positive scale';
    fc.assert(
      fc.property(
        fc.constantFrom(0, -1, -0.5),
        fc.constantFrom('sdpa', 'memory-efficient'),
        (scale, entry) => {
          const q = tf.ones([1, 1, 3, 4]);
          try {
            expectContract(
              () =>
                entry === 'sdpa'
                  ? scaledDotProductAttention(q, q, q, { scale })
                  : memoryEfficientAttention(q, q, q, { scale }),
              { property, report, mustThrow: /options\.scale/ },
            );
          } finally {
            q.dispose();
          }
        },
      ),
      fuzzParameters(property, 6),
    );
  });

  it('fuzz: a disposed q, k or v throws a typed error naming it (issue 21: disposed inputs)', () => {
    const property = 'disposed inputs';
    fc.assert(
      fc.property(
        fc.constantFrom('q', 'k', 'v'),
        fc.constantFrom('sdpa', 'memory-efficient', 'fused'),
        (which, entry) => {
          const t = { q: tf.ones([1, 2, 3, 4]), k: tf.ones([1, 1, 5, 4]), v: tf.ones([1, 1, 5, 4]) };
          const stale = disposedTensor(t[which].shape);
          const args = { ...t, [which]: stale };
          try {
            expectContract(
              () => {
                if (entry === 'sdpa') return scaledDotProductAttention(args.q, args.k, args.v);
                if (entry === 'memory-efficient') return memoryEfficientAttention(args.q, args.k, args.v);
                return fusedAttentionKernel.run(args, { scale: 0.5, causal: false });
              },
              { property, report, mustThrow: new RegExp(`\`${which}\``) },
            );
          } finally {
            tf.dispose(Object.values(t));
          }
        },
      ),
      fuzzParameters(property, 9),
    );
  });
});
