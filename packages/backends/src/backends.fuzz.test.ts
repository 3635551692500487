import { fusedAttentionKernel, hasKernelFor } from '@efficient-attention/core';
import {
  blockSparseAttention,
  createBlockMask,
  createPatternMask,
  maskPatterns,
} from '@efficient-attention/sparse-masks';
import {
  attentionShapeArbitrary,
  createFuzzReport,
  describeBackends,
  expectCloseWithNaNs,
  expectContract,
  expectContractAsync,
  type FuzzAttentionShape,
  fuzzAttentionInputs,
  fuzzParameters,
  invalidBooleanArbitrary,
  invalidNumberArbitrary,
  type Poison,
  poisonArbitrary,
  referenceAttention,
  validOptionsArbitrary,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';
import { registerWasmKernels, unregisterWasmKernels } from './runtime/wasm/register-wasm-kernels.js';

/**
 * Fuzz properties of backends (issue 21): `initBackend` returns a report whose backend is the active one and
 * never throws on valid options (a clear error on invalid ones); the package's WebAssembly kernels (on tfjs's
 * cpu and wasm backends) for fused and block-sparse attention equal the float64 reference, and take the same
 * attributes as the reference path. GPU kernels stay in `test:webgpu` / e2e. Knobs: FUZZ_RUNS, FUZZ_SEED
 * (test-utils' fuzz.ts).
 */
const report = createFuzzReport('backends');

const attentionCase = fc.record({
  shape: attentionShapeArbitrary(),
  causal: fc.boolean(),
  scale: fc.double({ min: 0.01, max: 2, noNaN: true }),
  seed: fc.nat(1_000_000),
});

/** Runs the fused kernel on a case (poisoned or not) against the float64 reference. */
function checkFused(
  property: string,
  c: { shape: FuzzAttentionShape; causal: boolean; scale: number; seed: number },
  poisons: Poison[],
) {
  const x = fuzzAttentionInputs(c.shape, c.seed, poisons);
  const expected = referenceAttention(x.reference, { causal: c.causal, scale: c.scale }).output;
  try {
    expectContract(
      () => {
        const out = fusedAttentionKernel.run(
          { q: x.q, k: x.k, v: x.v },
          { scale: c.scale, causal: c.causal },
        );
        expectCloseWithNaNs(out.dataSync(), expected, {}, property);
        out.dispose();
      },
      { property, report },
    );
  } finally {
    x.dispose();
  }
}

const blockSparseCase = fc
  .constantFrom(...maskPatterns.list().filter((d) => d.name !== 'star-transformer'))
  .chain((definition) =>
    fc.record({
      definition: fc.constant(definition),
      params: validOptionsArbitrary(definition.options, { span: 12, maxListLength: 6 }),
      // Half self-attention: several patterns (BigBird, Star-Transformer, documents) require qLen = kvLen.
      shape: fc.oneof(
        attentionShapeArbitrary({ maxLen: 48 }),
        attentionShapeArbitrary({ maxLen: 48, selfAttention: true }),
      ),
      blockSize: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(16, 32, 64)),
      seed: fc.nat(1_000_000),
    }),
  );

/** Runs the block-sparse kernel on a pattern case against the dense masked float64 reference. */
function checkBlockSparse(
  property: string,
  c: typeof blockSparseCase extends fc.Arbitrary<infer T> ? T : never,
  poisons: Poison[],
) {
  const s = c.shape;
  const x = fuzzAttentionInputs(s, c.seed, poisons);
  try {
    expectContract(
      () => {
        const mask = createPatternMask(
          { pattern: c.definition.name, ...c.params },
          { seed: c.seed, qLen: s.qLen, kvLen: s.kvLen, blockSize: c.blockSize },
        );
        const blockMask = createBlockMask(mask, s.qLen, s.kvLen, {
          blockSize: c.blockSize,
          batch: s.batch,
          heads: s.heads,
        });
        const expected = referenceAttention(x.reference, {
          allowed: (b, h, i, j) => mask(b, h, i, j),
        }).output;
        const out = blockSparseAttention(x.q, x.k, x.v, blockMask);
        expectCloseWithNaNs(out.dataSync(), expected, {}, `${property} (${c.definition.name})`);
        out.dispose();
      },
      { property, report },
    );
  } finally {
    x.dispose();
  }
}

describeBackends('backends fuzz: wasm kernels', (backend) => {
  beforeAll(async () => {
    await registerWasmKernels({ threads: 2 });
  });
  afterAll(() => unregisterWasmKernels());

  it('fuzz: the fused attention kernel is registered and equals the float64 reference on finite inputs', () => {
    expect(hasKernelFor(fusedAttentionKernel, backend)).toBe(true);
    const property = 'fused kernel (finite)';
    fc.assert(
      fc.property(attentionCase, (c) => checkFused(property, c, [])),
      fuzzParameters(property, 25),
    );
  });

  it('fuzz: the block-sparse kernel over every registered pattern equals the dense masked float64 reference', () => {
    const property = 'block-sparse kernel (finite)';
    fc.assert(
      fc.property(blockSparseCase, (c) => checkBlockSparse(property, c, [])),
      fuzzParameters(property, 25),
    );
  });

  // Issue 21's NaN rule on the kernels (4f27973): a NaN or ±∞ reaches exactly the outputs the reference says.
  it('fuzz: NaN / ±∞ inputs through the fused and block-sparse kernels reach exactly what the reference says (issue 21: NaN rule)', () => {
    const property = 'kernels NaN rule';
    fc.assert(
      fc.property(
        attentionCase,
        blockSparseCase,
        poisonArbitrary(['q', 'k', 'v'], 2).filter((p) => p.length > 0),
        fc.boolean(),
        (fused, sparse, poisons, useFused) =>
          useFused ? checkFused(property, fused, poisons) : checkBlockSparse(property, sparse, poisons),
      ),
      fuzzParameters(property, 30),
    );
  });

  // Issue 21's attribute rule (d62931f): the kernel resolves its attributes as the reference path does.
  it("fuzz: the fused kernel takes the reference path's attributes: default scale 1/√d, invalid ones rejected (issue 21: attribute rule)", () => {
    const property = 'kernel attributes';
    const attrCase = fc.oneof(
      fc.record({ kind: fc.constant('missing scale' as const) }),
      fc.record({
        kind: fc.constant('bad scale' as const),
        value: invalidNumberArbitrary({ positive: true }).filter((v) => v !== null),
      }),
      fc.record({ kind: fc.constant('bad causal' as const), value: invalidBooleanArbitrary() }),
    );
    fc.assert(
      fc.property(attrCase, fc.nat(1000), (c, seed) => {
        const s = { batch: 1, heads: 2, kvHeads: 1, qLen: 5, kvLen: 7, headDim: 16, valueDim: 16 };
        const x = fuzzAttentionInputs(s, seed);
        try {
          expectContract(
            () => {
              if (c.kind === 'missing scale') {
                const out = fusedAttentionKernel.run({ q: x.q, k: x.k, v: x.v }, { causal: false } as never);
                expectCloseWithNaNs(out.dataSync(), referenceAttention(x.reference).output, {}, property);
                return out;
              }
              const attrs =
                c.kind === 'bad scale' ? { scale: c.value, causal: false } : { scale: 0.25, causal: c.value };
              return fusedAttentionKernel.run({ q: x.q, k: x.k, v: x.v }, attrs as never);
            },
            {
              property,
              report,
              ...(c.kind === 'missing scale'
                ? {}
                : { mustThrow: c.kind === 'bad scale' ? /scale/ : /causal/ }),
            },
          );
        } finally {
          x.dispose();
        }
      }),
      fuzzParameters(property, 15),
    );
  });
});

describe('backends fuzz: initBackend', () => {
  afterAll(() => unregisterWasmKernels());

  it('fuzz: initBackend on valid options returns a report whose backend is active and was preferred; never throws', async () => {
    const property = 'initBackend (valid)';
    const validCase = fc.record({
      // Node can always initialise cpu or wasm; webgpu / webgl are tried and skipped with a reason.
      prefer: fc
        .tuple(
          fc.subarray(['webgpu', 'webgl'] as const),
          fc.shuffledSubarray(['wasm', 'cpu'] as const, { minLength: 1 }),
          fc.boolean(),
        )
        .map(([gpu, cpu, gpuFirst]) => (gpuFirst ? [...gpu, ...cpu] : [...cpu, ...gpu])),
      threads: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      wasmKernels: fc.option(fc.boolean(), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(validCase, async (options) => {
        await expectContractAsync(
          async () => {
            const r = await initBackend(options);
            expect(r.backend).toBe(tf.getBackend());
            expect(options.prefer).toContain(r.backend);
            expect(r.tried.find((t) => t.backend === r.backend && t.ok)).toBeDefined();
            // Every backend preferred before the pick was tried and says why it was skipped.
            for (const name of options.prefer.slice(0, options.prefer.indexOf(r.backend))) {
              const entry = r.tried.find((t) => t.backend === name);
              expect(entry?.ok, name).toBe(false);
              expect(entry?.reason, name).toMatch(/\S/);
            }
            expect(r.floatPrecision).toBe(32);
          },
          { property, report, timeBoxMs: 30_000 },
        );
      }),
      fuzzParameters(property, 8, { weight: 0.2 }),
    );
  });

  it('fuzz: initBackend on invalid options throws a typed error naming the option', async () => {
    const property = 'initBackend (invalid)';
    const invalidCase = fc.oneof(
      fc.record({
        key: fc.constant('prefer'),
        value: fc.constantFrom([], ['tpu'], 'wasm', [1], ['cpu', 'gpu']),
      }),
      fc.record({
        key: fc.constant('threads'),
        value: invalidNumberArbitrary({ integer: true, min: 1, max: 64 }).filter((v) => v !== null),
      }),
      fc.record({
        key: fc.constant('wasmKernels'),
        value: invalidBooleanArbitrary().filter((v) => v !== null),
      }),
      fc.record({ key: fc.constantFrom('thread', 'backend', 'prefers'), value: fc.constant(1) }),
    );
    await fc.assert(
      fc.asyncProperty(invalidCase, async ({ key, value }) => {
        await expectContractAsync(() => initBackend({ [key]: value } as never), {
          property,
          report,
          mustThrow: new RegExp(`options\\.${key}\\b`),
        });
      }),
      fuzzParameters(property, 30),
    );
  });
});
