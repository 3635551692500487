import {
  blockSparseAttentionKernel,
  causalLinearAttentionKernel,
  fusedAttentionKernel,
  type KernelContract,
  type RopeLayout,
  ropeKernel,
  ternaryMatMulKernel,
  ternaryWordsPerRow,
} from '@efficient-attention/core';
import {
  causal,
  createBlockMask,
  orMasks,
  randomPattern,
  slidingWindow,
} from '@efficient-attention/sparse-masks';
import * as tf from '@tensorflow/tfjs-core';

/** One kernel-vs-reference comparison, as the page reports it (JSON). */
export interface CheckResult {
  backend: string;
  kernel: string;
  case: string;
  /** `kernel`: a kernel of this package ran; `reference`: no kernel is registered, the fallback ran. */
  path: 'kernel' | 'reference';
  maxAbsError: number;
  /** max over elements of |a − e| / (atol + rtol·|e|): ≤ 1 passes. */
  worstToleranceRatio: number;
  atol: number;
  rtol: number;
  pass: boolean;
  ms: number;
  error?: string;
}

/** Per-backend float32 tolerances: |kernel − reference| ≤ atol + rtol·|reference|. */
export const TOLERANCES: Record<string, { atol: number; rtol: number }> = {
  webgpu: { atol: 2e-5, rtol: 2e-4 },
  // float32 textures (WEBGL_RENDER_FLOAT32); measured errors are ~5e-7 on SwiftShader.
  webgl: { atol: 2e-5, rtol: 2e-4 },
};

/**
 * Checks that cannot pass on a backend, with the reason (reported as SKIPPED, visibly). Empty: the webgl
 * ternary kernel repacks the packed words from their exact CPU copy (tfjs-webgl's float32 textures round
 * int32 above 2^24), so it is compared against the cpu reference like every other kernel.
 */
const UNSUPPORTED: Record<string, string> = {};

/** A seeded normal Float32Array (xorshift + Box–Muller): the same data on every backend. */
function normal(size: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 1) / 4294967297;
  };
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++)
    out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

interface Check {
  kernel: KernelContract<Record<string, tf.Tensor>, object>;
  name: string;
  inputs: () => Record<string, tf.Tensor>;
  attrs: object;
  /**
   * Runs of the kernel on the same input tensors, the last one compared (default 1): more exercise the
   * kernels' per-tensor caches.
   */
  runs?: number;
}

/** A non-finite value put into q, k or v at a flat index (the NaN-rule checks). */
type Poison = ['q' | 'k' | 'v', number, number];

function attentionCase(
  name: string,
  [b, h, hkv, n, m, d, dv]: number[],
  seed: number,
  poisons: Poison[] = [],
): { name: string; make: () => { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor }; d: number; shape: number[] } {
  const qv = normal(b! * h! * n! * d!, seed);
  const kv = normal(b! * hkv! * m! * d!, seed + 1);
  const vv = normal(b! * hkv! * m! * dv!, seed + 2);
  const data = { q: qv, k: kv, v: vv };
  for (const [name, at, value] of poisons) data[name][at % data[name].length] = value;
  return {
    name,
    d: d!,
    shape: [b!, h!, hkv!, n!, m!, d!, dv!],
    make: () => ({
      q: tf.tensor4d(qv, [b!, h!, n!, d!]),
      k: tf.tensor4d(kv, [b!, hkv!, m!, d!]),
      v: tf.tensor4d(vv, [b!, hkv!, m!, dv!]),
    }),
  };
}

/** The checks: fused attention on random shapes, block-sparse attention on compiled masks. */
export function kernelChecks(): Check[] {
  const checks: Check[] = [];
  const fused: Array<[string, number[], boolean]> = [
    ['B1 H2 N130 d64 causal', [1, 2, 2, 130, 130, 64, 64], true],
    ['B2 H4 Hkv2 N70 M100 d32 dv24 causal', [2, 4, 2, 70, 100, 32, 24], true],
    ['B1 H1 N100 M60 d16 causal (rows without keys)', [1, 1, 1, 100, 60, 16, 16], true],
    ['B1 H2 N65 M200 d128', [1, 2, 2, 65, 200, 128, 128], false],
    ['B1 H3 Hkv1 N1100 M1300 d32 (several webgl tiles)', [1, 3, 1, 1100, 1300, 32, 32], false],
    [
      'B1 H2 N1500 M1300 d16 causal (skipped webgl tiles, rows without keys)',
      [1, 2, 2, 1500, 1300, 16, 16],
      true,
    ],
    ['B1 H1 N300 M4501 d16 (several webgl key tiles, odd keys)', [1, 1, 1, 300, 4501, 16, 16], false],
    [
      'B1 H2 N2500 M2300 d8 causal (webgl query and key tiles, skipped tiles)',
      [1, 2, 2, 2500, 2300, 8, 8],
      true,
    ],
  ];
  fused.forEach(([name, shape, isCausal], i) => {
    const c = attentionCase(name, shape, 10 * i + 1);
    checks.push({
      kernel: fusedAttentionKernel as unknown as Check['kernel'],
      name,
      inputs: c.make,
      attrs: { scale: 1 / Math.sqrt(c.d), causal: isCausal },
    });
  });
  // The NaN rule (core's README): NaN and ±∞ reach exactly the outputs that can see them, as on the
  // reference (compared element by element: NaN where it has NaN, the same infinity, else within tolerance).
  const nan = Number.NaN;
  const poisoned: Array<[string, number[], boolean, Poison[]]> = [
    [
      'NaN rule: B1 H2 N130 d64 causal, NaN query row, NaN key 60, NaN and +∞ values',
      [1, 2, 2, 130, 130, 64, 64],
      true,
      [
        ['q', 7 * 64 + 3, nan],
        ['k', 60 * 64 + 5, nan],
        ['v', 100 * 64 + 3, nan],
        ['v', 20 * 64 + 9, Number.POSITIVE_INFINITY],
      ],
    ],
    [
      'NaN rule: B1 H2 Hkv1 N37 M70 d16 causal (rows without keys), −∞ query, NaN values',
      [1, 2, 1, 37, 70, 16, 16],
      true,
      [
        ['q', 30 * 16, Number.NEGATIVE_INFINITY],
        ['v', 69 * 16 + 2, nan],
        ['v', 40 * 16 + 1, nan],
      ],
    ],
    [
      'NaN rule: B1 H1 N50 M90 d8 not causal, NaN key and value',
      [1, 1, 1, 50, 90, 8, 8],
      false,
      [
        ['k', 33 * 8 + 1, nan],
        ['v', 80 * 8, Number.NEGATIVE_INFINITY],
      ],
    ],
  ];
  poisoned.forEach(([name, shape, isCausal, poisons], i) => {
    const c = attentionCase(name, shape, 500 + 10 * i, poisons);
    checks.push({
      kernel: fusedAttentionKernel as unknown as Check['kernel'],
      name,
      inputs: c.make,
      attrs: { causal: isCausal }, // scale: 1/√d by default
    });
  });
  const sparse: Array<[string, number[], number, () => ReturnType<typeof createBlockMask>]> = [
    [
      'sliding window r=20 bs=32',
      [1, 2, 2, 150, 150, 32, 32],
      32,
      () => createBlockMask(slidingWindow({ radius: 20 }), 150, 150, { blockSize: 32 }),
    ],
    [
      'causal N40 M90 GQA bs=16',
      [2, 4, 2, 40, 90, 64, 16],
      16,
      () => createBlockMask(causal({ qLen: 40, kvLen: 90 }), 40, 90, { blockSize: 16 }),
    ],
    [
      'random per head or window bs=64',
      [1, 3, 3, 100, 77, 16, 24],
      64,
      () =>
        createBlockMask(
          orMasks(
            randomPattern({ kvLen: 77, density: 0.05, seed: 7, perHead: true }),
            slidingWindow({ radius: 1 }),
          ),
          100,
          77,
          { blockSize: 64, heads: 3 },
        ),
    ],
    [
      'causal N257 H2 bs=64 (partial last block)',
      [1, 2, 2, 257, 257, 32, 32],
      64,
      () => createBlockMask(causal({ qLen: 257, kvLen: 257 }), 257, 257, { blockSize: 64 }),
    ],
    [
      'sliding window r=30 N301 M280 bs=48 dv20',
      [2, 2, 1, 301, 280, 24, 20],
      48,
      () => createBlockMask(slidingWindow({ radius: 30 }), 301, 280, { blockSize: 48 }),
    ],
    [
      'non-causal window r=2000 N90 bs=16 (all blocks)',
      [1, 1, 1, 90, 70, 8, 8],
      16,
      () => createBlockMask(slidingWindow({ radius: 2000 }), 90, 70, { blockSize: 16 }),
    ],
    [
      'causal N100 M60 bs=16 (rows without keys)',
      [1, 2, 1, 100, 60, 16, 16],
      16,
      () => createBlockMask(causal({ qLen: 100, kvLen: 60 }), 100, 60, { blockSize: 16 }),
    ],
    [
      'causal N1200 H4 bs=32 (several webgl chunks)',
      [1, 4, 4, 1200, 1200, 32, 32],
      32,
      () => createBlockMask(causal({ qLen: 1200, kvLen: 1200 }), 1200, 1200, { blockSize: 32 }),
    ],
  ];
  sparse.push([
    'NaN rule: causal N257 H2 bs=64, NaN query, key and values (masked and visible)',
    [1, 2, 2, 257, 257, 32, 32],
    64,
    () => createBlockMask(causal({ qLen: 257, kvLen: 257 }), 257, 257, { blockSize: 64 }),
  ]);
  const sparsePoisons: Poison[] = [
    ['q', 3 * 32, nan],
    ['k', 150 * 32 + 7, nan],
    ['v', 200 * 32 + 1, nan],
    ['v', 70 * 32 + 2, Number.POSITIVE_INFINITY],
  ];
  sparse.forEach(([name, shape, blockSize, mask], i) => {
    const c = attentionCase(name, shape, 100 + 10 * i, name.startsWith('NaN rule') ? sparsePoisons : []);
    const compiled = mask();
    checks.push({
      kernel: blockSparseAttentionKernel as unknown as Check['kernel'],
      name,
      inputs: () => ({ ...c.make(), ...compiled.toTensors() }),
      attrs: { blockSize, qLen: shape[3]!, kvLen: shape[4]!, scale: 1 / Math.sqrt(c.d) },
      // The second run reads the bitmasks repacked by the first (webgl caches them per tensor).
      runs: 2,
    });
  });
  const rope: Array<[number[], number, RopeLayout]> = [
    [[1, 2, 17, 16], 16, 'half-split'],
    [[2, 3, 9, 12], 8, 'half-split'],
    [[1, 2, 33, 64], 16, 'half-split'],
    [[1, 2, 17, 16], 16, 'interleaved'],
    [[2, 1, 20, 10], 6, 'interleaved'],
  ];
  rope.forEach(([shape, rotaryDim, layout], i) => {
    const [b, h, n, d] = shape as [number, number, number, number];
    const xv = normal(b * h * n * d, 200 + i);
    xv[d + 1] = nan; // NaN rule: reaches its rotation pair of row 1 only
    xv[xv.length - 2] = Number.NEGATIVE_INFINITY;
    // Tables from Math.cos/sin: the same values on every backend.
    const angle = (j: number) => Math.floor(j / (rotaryDim / 2)) * 0.1 ** ((j % (rotaryDim / 2)) / 4);
    const cosv = Float32Array.from({ length: (n * rotaryDim) / 2 }, (_, j) => Math.cos(angle(j)));
    const sinv = Float32Array.from({ length: (n * rotaryDim) / 2 }, (_, j) => Math.sin(angle(j)));
    checks.push({
      kernel: ropeKernel as unknown as Check['kernel'],
      name: `[${shape.join(', ')}] rotaryDim ${rotaryDim} ${layout}`,
      inputs: () => ({
        x: tf.tensor4d(xv, [b, h, n, d]),
        cos: tf.tensor2d(cosv, [n, rotaryDim / 2]),
        sin: tf.tensor2d(sinv, [n, rotaryDim / 2]),
      }),
      attrs: { layout, rotaryDim },
    });
  });
  const linear: number[][] = [
    [1, 2, 50, 8, 8, 16],
    [2, 1, 150, 16, 24, 64],
    [1, 1, 70, 4, 70, 32],
    [1, 3, 1, 8, 5, 16],
    [2, 2, 97, 12, 20, 97],
    [1, 2, 333, 16, 16, 1],
    [1, 4, 1000, 32, 32, 64],
  ];
  linear.forEach(([b, h, n, f, dv, chunkSize], i) => {
    const feature = (x: number) => (x > 0 ? x + 1 : Math.exp(x));
    const qv = normal(b! * h! * n! * f!, 300 + i).map(feature);
    const kv = normal(b! * h! * n! * f!, 310 + i).map(feature);
    const vv = normal(b! * h! * n! * dv!, 320 + i);
    // NaN rule, in the first case: a NaN key at position 30 and value at 40 reach rows ≥ 30 / ≥ 40 only.
    if (i === 0) {
      kv[30 * f! + 1] = nan;
      vv[(n! + 40) * dv! + 2] = nan;
    }
    checks.push({
      kernel: causalLinearAttentionKernel as unknown as Check['kernel'],
      name: `B${b} H${h} N${n} F${f} dv${dv} chunk ${chunkSize}`,
      inputs: () => ({
        phiQ: tf.tensor4d(qv, [b!, h!, n!, f!]),
        phiK: tf.tensor4d(kv, [b!, h!, n!, f!]),
        v: tf.tensor4d(vv, [b!, h!, n!, dv!]),
      }),
      attrs: { chunkSize: chunkSize!, eps: 1e-6 },
    });
  });
  // The unnormalised and reverse scans the registered gradient is built from (features of any sign).
  const linearModes: Array<[number[], { normalize: boolean; reverse: boolean }]> = [
    [[1, 2, 70, 8, 6, 16], { normalize: false, reverse: false }],
    [[2, 1, 90, 5, 9, 32], { normalize: false, reverse: true }],
    [[1, 2, 50, 4, 4, 8], { normalize: true, reverse: true }],
  ];
  linearModes.forEach(([[b, h, n, f, dv, chunkSize], mode], i) => {
    const feature = (x: number) => (mode.normalize ? Math.exp(x / 2) : x);
    const qv = normal(b! * h! * n! * f!, 340 + i).map(feature);
    const kv = normal(b! * h! * n! * f!, 350 + i).map(feature);
    const vv = normal(b! * h! * n! * dv!, 360 + i);
    checks.push({
      kernel: causalLinearAttentionKernel as unknown as Check['kernel'],
      name: `B${b} H${h} N${n} F${f} dv${dv} chunk ${chunkSize} ${JSON.stringify(mode)}`,
      inputs: () => ({
        phiQ: tf.tensor4d(qv, [b!, h!, n!, f!]),
        phiK: tf.tensor4d(kv, [b!, h!, n!, f!]),
        v: tf.tensor4d(vv, [b!, h!, n!, dv!]),
      }),
      attrs: { chunkSize: chunkSize!, eps: 1e-6, ...mode },
    });
  });
  // Raw random words: every code (i2s code 3, tq1 bytes ≥ 243) decodes as the reference decodes it.
  const ternary: Array<[number, number, number, 'i2s' | 'tq1']> = [
    [3, 100, 17, 'i2s'],
    [2, 1000, 33, 'tq1'],
    [1, 1, 1, 'i2s'],
    [5, 16, 7, 'i2s'],
    [4, 20, 9, 'tq1'],
    [7, 333, 65, 'tq1'],
    [8, 2048, 96, 'i2s'],
    [6, 1531, 40, 'tq1'],
  ];
  ternary.forEach(([m, k, n, format], i) => {
    const words = ternaryWordsPerRow(k, format);
    const bits = normal(n * words, 400 + i);
    const packed = Int32Array.from(bits, (x) => Math.floor(x * 1e9) | 0);
    const activations = Int32Array.from(normal(m * k, 410 + i), (x) =>
      Math.max(-128, Math.min(127, Math.round(x * 40))),
    );
    const scales = Float32Array.from(normal(m, 420 + i), (x) => 0.5 + Math.abs(x));
    checks.push({
      kernel: ternaryMatMulKernel as unknown as Check['kernel'],
      name: `M${m} K${k} N${n} ${format} (random words)`,
      inputs: () => ({
        activations: tf.tensor2d(activations, [m, k], 'int32'),
        weights: tf.tensor2d(packed, [n, words], 'int32'),
        weightScale: tf.scalar(0.0371),
        activationScales: tf.tensor1d(scales),
      }),
      attrs: { k, n, format },
      // The second run reads the weights repacked by the first (webgl caches them per tensor).
      runs: 2,
    });
  });
  // Weights computed on the GPU have no exact CPU copy: the webgl kernel falls back to the reference (with
  // a warning), exact here because every word is below 2^24.
  const gpuWords = Int32Array.from(normal(5, 430), (x) => Math.floor(Math.abs(x) * 1e9) & 0xffffff);
  const gpuActivations = Int32Array.from(normal(2 * 12, 431), (x) => Math.round(x * 30));
  checks.push({
    kernel: ternaryMatMulKernel as unknown as Check['kernel'],
    name: 'M2 K12 N5 i2s (weights computed by an op: reference fallback on webgl)',
    inputs: () => {
      // tfjs-webgl runs ops on small CPU-resident tensors on the CPU: turn that off for this one add.
      const cpuForward = tf.env().getBool('WEBGL_CPU_FORWARD');
      tf.env().set('WEBGL_CPU_FORWARD', false);
      try {
        return tf.tidy(() => ({
          activations: tf.tensor2d(gpuActivations, [2, 12], 'int32'),
          weights: tf.add(tf.tensor2d(gpuWords, [5, 1], 'int32'), tf.scalar(0, 'int32')),
          weightScale: tf.scalar(0.5),
          activationScales: tf.tensor1d([1.5, 0.25]),
        }));
      } finally {
        tf.env().set('WEBGL_CPU_FORWARD', cpuForward);
      }
    },
    attrs: { k: 12, n: 5, format: 'i2s' },
  });
  return checks;
}

function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number) {
  let maxAbsError = 0;
  let worstToleranceRatio = 0;
  if (actual.length !== expected.length) return { maxAbsError: Number.NaN, worstToleranceRatio: Number.NaN };
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    // The NaN rule: NaN exactly where the reference has NaN, the same infinity where it has one.
    if (!Number.isFinite(e) && (Object.is(actual[i], e) || (Number.isNaN(e) && Number.isNaN(actual[i]!))))
      continue;
    const diff = Math.abs(actual[i]! - e);
    if (!(diff <= maxAbsError)) maxAbsError = Number.isNaN(diff) ? Number.NaN : Math.max(maxAbsError, diff);
    const ratio = diff / (atol + rtol * Math.abs(e));
    if (!(ratio <= worstToleranceRatio)) worstToleranceRatio = Number.isNaN(ratio) ? Number.NaN : ratio;
  }
  return { maxAbsError, worstToleranceRatio };
}

/**
 * Runs every check on each backend against core's reference computed on `cpu`, and returns the results.
 * A backend that does not initialise (no WebGPU adapter) gives one result with `error` set, so the runner
 * can print a visible skip.
 */
export async function runKernelChecks(
  backends: string[],
): Promise<{ results: CheckResult[]; skipped: string[] }> {
  const checks = kernelChecks();
  await tf.setBackend('cpu');
  const expected = checks.map((c) =>
    tf.tidy(() => {
      const out = c.kernel.reference(c.inputs(), c.attrs);
      return { data: out.dataSync().slice(), shape: out.shape };
    }),
  );
  const results: CheckResult[] = [];
  const skipped: string[] = [];
  for (const backend of backends) {
    let ok = false;
    try {
      ok = await tf.setBackend(backend);
    } catch {
      ok = false;
    }
    if (!ok) {
      skipped.push(`${backend}: the backend did not initialise (no adapter/context)`);
      continue;
    }
    const { atol, rtol } = TOLERANCES[backend] ?? { atol: 1e-4, rtol: 1e-3 };
    for (const [i, c] of checks.entries()) {
      const why = UNSUPPORTED[`${c.kernel.name}/${backend}`];
      if (why !== undefined) {
        skipped.push(`${backend}: ${c.kernel.name} ${c.name}: ${why}`);
        continue;
      }
      const path = tf.getKernel(c.kernel.name, backend) !== undefined ? 'kernel' : 'reference';
      const base = { backend, kernel: c.kernel.name, case: c.name, path, atol, rtol } as const;
      const tensorsBefore = tf.memory().numTensors;
      const inputs = c.inputs();
      const t0 = performance.now();
      try {
        for (let run = 1; run < (c.runs ?? 1); run++) tf.dispose(c.kernel.run(inputs, c.attrs));
        const out = c.kernel.run(inputs, c.attrs);
        const data = await out.data();
        const ms = performance.now() - t0;
        const shapeOk = JSON.stringify(out.shape) === JSON.stringify(expected[i]!.shape);
        out.dispose();
        tf.dispose(Object.values(inputs));
        const leaked = tf.memory().numTensors - tensorsBefore;
        const err = compare(data as Float32Array, expected[i]!.data as Float32Array, atol, rtol);
        results.push({
          ...base,
          ...err,
          ms,
          pass: shapeOk && leaked === 0 && err.worstToleranceRatio <= 1,
          ...(leaked !== 0 ? { error: `${leaked} tensors leaked` } : {}),
        });
      } catch (error) {
        results.push({
          ...base,
          maxAbsError: Number.NaN,
          worstToleranceRatio: Number.NaN,
          ms: performance.now() - t0,
          pass: false,
          error: String(error),
        });
      } finally {
        tf.dispose(Object.values(inputs));
      }
    }
  }
  return { results, skipped };
}
