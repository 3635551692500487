import type * as tf from '@tensorflow/tfjs-core';

/**
 * The part of tfjs-backend-webgpu's `WebGPUProgram` interface (4.22) our programs fill in, declared
 * structurally so this package never imports the backend at runtime. tfjs prepends the bindings: the output
 * `result: array<f32|i32>`, one `array<…>` per name in `variableNames` (the tensors' flat row-major data)
 * and `uniforms` (shapes, then the fields declared in `uniforms`, in the order their values are passed).
 * Our shaders index the flat arrays themselves and define `fn main()` (no global index argument).
 */
export interface WebGPUProgramSpec {
  variableNames: string[];
  outputShape: number[];
  /** Cache key of the compiled pipeline: must name every compile-time constant baked into the code. */
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** WGSL struct fields appended to tfjs's `Uniforms`, e.g. `'scale : f32, qLen : i32,'`. */
  uniforms?: string;
  /** Adds `size : i32` (the output size) to the uniforms. */
  size?: boolean;
  /** Components per element of the output binding (`array<vec4<f32>>` when 4). */
  outputComponent?: number;
  /** Components per element of each input binding. */
  variableComponents?: number[];
  getUserCode(): string;
}

/** One program-defined uniform value, in the order of the fields in {@link WebGPUProgramSpec.uniforms}. */
export interface WebGPUUniform {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/** The methods of tfjs-backend-webgpu's `WebGPUBackend` our kernels call. */
export interface WebGPUBackendLike {
  /** Runs a custom program; the output is a new tensor's data the caller owns. */
  runWebGPUProgram(
    program: WebGPUProgramSpec,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    programDefinedUniform?: WebGPUUniform[],
  ): tf.TensorInfo;
  /** Releases an intermediate result (deferred by tfjs until the queued commands that use it are done). */
  disposeData(dataId: tf.DataId): boolean;
}

/** WebGPU's guaranteed limit on workgroups per dispatch dimension. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/**
 * WebGPU's guaranteed workgroup storage (`maxComputeWorkgroupStorageSize`, 16 KiB) in f32 words: the key and
 * value tiles of the attention programs are sized to fit it.
 */
export const WORKGROUP_STORAGE_WORDS = 4096;

/** Keys per shared-memory tile for head dims `d` (keys) and `dv` (values): at most 32, within the storage limit. */
export function keyTileSize(d: number, dv: number): number {
  return Math.max(0, Math.min(32, Math.floor(WORKGROUP_STORAGE_WORDS / (d + dv))));
}

/** The WGSL vector width of the attention programs: 4 (vec4 loads and dot products) when d and dv allow. */
export function vectorWidth(d: number, dv: number): 1 | 4 {
  return d % 4 === 0 && dv % 4 === 0 ? 4 : 1;
}

/** WGSL type, and the product-sum of two values, for vector width `w`. */
export function wgslVector(w: 1 | 4): { type: string; dot: (a: string, b: string) => string } {
  return w === 4
    ? { type: 'vec4<f32>', dot: (a, b) => `dot(${a}, ${b})` }
    : { type: 'f32', dot: (a, b) => `${a} * ${b}` };
}

/** Unroll the per-row registers when a row holds at most this many WGSL vector elements per operand. */
const MAX_UNROLLED_WORDS = 64;

/**
 * WGSL for one query row's registers: its scaled query `q` (`dw` elements of `type`) and output
 * accumulator `acc` (`vw` elements). Unrolled into named variables when small, so a compiler keeps them in
 * registers (SwiftShader spills dynamically indexed private arrays to memory); arrays and loops otherwise.
 */
export interface RowRegisters {
  /** Module-scope helpers (after the `kTile` declaration). */
  moduleScope: string;
  declare: string;
  loadQuery(base: string): string;
  /** The expression q · kTile[kBase …]. */
  score(kBase: string): string;
  scaleAcc(alpha: string): string;
  addAcc(p: string, vBase: string): string;
  store(outBase: string, inv: string): string;
}

export function rowRegistersWGSL(w: 1 | 4, dw: number, vw: number): RowRegisters {
  const { type, dot } = wgslVector(w);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  if (dw <= MAX_UNROLLED_WORDS && vw <= MAX_UNROLLED_WORDS) {
    return {
      moduleScope: '',
      declare: [
        ...range(dw).map((t) => `var q${t} : ${type};`),
        ...range(vw).map((c) => `var acc${c} : ${type};`),
      ].join(' '),
      loadQuery: (base) =>
        range(dw)
          .map((t) => `q${t} = Q[${base} + ${t}] * uniforms.scale;`)
          .join(' '),
      score: (kBase) =>
        range(dw)
          .map((t) => dot(`q${t}`, `kTile[${kBase} + ${t}]`))
          .join(' + '),
      scaleAcc: (alpha) =>
        range(vw)
          .map((c) => `acc${c} = acc${c} * ${alpha};`)
          .join(' '),
      addAcc: (p, vBase) =>
        range(vw)
          .map((c) => `acc${c} = acc${c} + ${p} * vTile[${vBase} + ${c}];`)
          .join(' '),
      store: (outBase, inv) =>
        range(vw)
          .map((c) => `result[${outBase} + ${c}] = acc${c} * ${inv};`)
          .join(' '),
    };
  }
  return {
    moduleScope: `fn dotRow(q : ptr<function, array<${type}, ${dw}>>, kBase : i32) -> f32 {
        var score = 0.0;
        for (var t = 0; t < ${dw}; t++) { score = score + ${dot('(*q)[t]', 'kTile[kBase + t]')}; }
        return score;
      }`,
    declare: `var q : array<${type}, ${dw}>; var acc : array<${type}, ${vw}>;`,
    loadQuery: (base) => `for (var t = 0; t < ${dw}; t++) { q[t] = Q[${base} + t] * uniforms.scale; }`,
    score: (kBase) => `dotRow(&q, ${kBase})`,
    scaleAcc: (alpha) => `for (var c = 0; c < ${vw}; c++) { acc[c] = acc[c] * ${alpha}; }`,
    addAcc: (p, vBase) => `for (var c = 0; c < ${vw}; c++) { acc[c] = acc[c] + ${p} * vTile[${vBase} + c]; }`,
    store: (outBase, inv) => `for (var c = 0; c < ${vw}; c++) { result[${outBase} + c] = acc[c] * ${inv}; }`,
  };
}
