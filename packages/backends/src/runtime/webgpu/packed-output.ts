import type * as tf from '@tensorflow/tfjs-core';
import {
  MAX_WORKGROUPS_PER_DIMENSION,
  type WebGPUBackendLike,
  type WebGPUProgramSpec,
} from './webgpu-program.js';

const WORKGROUP = 64;

/**
 * Copies `count` words (`component` floats each) out of a flat buffer: word `i` of the output is word
 * `offset + i · stride` of `X`. How a kernel whose program wrote several results into one output buffer
 * (tfjs-webgpu programs have one output binding) hands them back as separate tensors; O(size) work.
 *
 * @example
 * ```ts
 * // the log-sum-exp of each row, stored as the x of one vec4 per row after the attention output:
 * backend.runWebGPUProgram(new ExtractWordsProgram([b * h * n], 1), [packed], 'float32',
 *   ExtractWordsProgram.uniformValues(outFloats, 4, b * h * n));
 * ```
 */
export class ExtractWordsProgram implements WebGPUProgramSpec {
  readonly variableNames = ['X'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  readonly uniforms = 'offset : i32, stride : i32, count : i32,';
  readonly outputComponent: number;
  readonly variableComponents: number[];

  /** `shape`: the output's shape (its size / `component` words); `component`: 1 or 4. */
  constructor(shape: number[], component: 1 | 4) {
    this.outputShape = shape;
    this.outputComponent = component;
    this.variableComponents = [component];
    const groups = Math.ceil(shape.reduce((a, b) => a * b, 1) / component / WORKGROUP);
    // Past 65535 workgroups, a 2-D grid; tfjs's getGlobalIndex() folds workgroupId.y in.
    this.dispatch =
      groups <= MAX_WORKGROUPS_PER_DIMENSION
        ? [Math.max(1, groups), 1, 1]
        : [MAX_WORKGROUPS_PER_DIMENSION, Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION), 1];
    this.shaderKey = `eaExtractWords_${component}`;
  }

  /** The uniforms: the first word and the word stride in `X`, and the number of words to copy. */
  static uniformValues(offsetWords: number, strideWords: number, count: number) {
    return [
      { type: 'int32' as const, data: [offsetWords] },
      { type: 'int32' as const, data: [strideWords] },
      { type: 'int32' as const, data: [count] },
    ];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.count) {
          result[index] = X[uniforms.offset + index * uniforms.stride];
        }
      }
    `;
  }
}

/** One result inside a packed output buffer, in floats. */
export interface PackedPart {
  /** The result's tensor shape. */
  shape: number[];
  /** First float of the result in the packed buffer. */
  offset: number;
  /**
   * Floats from one element to the next: 1 for a contiguous result; 4 for one float per `vec4` slot (a
   * per-row scalar written by a vec4 program).
   */
  stride: 1 | 4;
}

/**
 * Splits a packed program output into its results (one {@link ExtractWordsProgram} each, vec4 copies when
 * aligned) and releases the packed buffer.
 *
 * @example
 * ```ts
 * const [out, logSumExp] = splitPackedOutput(backend, packed, [
 *   { shape: [b, h, n, dv], offset: 0, stride: 1 },
 *   { shape: [b, h, n], offset: b * h * n * dv, stride: 4 },
 * ]);
 * ```
 */
export function splitPackedOutput(
  backend: WebGPUBackendLike,
  packed: tf.TensorInfo,
  parts: readonly PackedPart[],
): tf.TensorInfo[] {
  try {
    return parts.map(({ shape, offset, stride }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const vec4 = stride === 1 && offset % 4 === 0 && size % 4 === 0;
      const component = vec4 ? 4 : 1;
      const wordStride = vec4 ? 1 : stride;
      const flat = backend.runWebGPUProgram(
        new ExtractWordsProgram([size], component),
        [packed],
        'float32',
        ExtractWordsProgram.uniformValues(offset / component, wordStride, size / component),
      );
      // A reshape is a new shape on the same data (as tfjs's own Reshape kernel returns).
      return { ...flat, shape };
    });
  } finally {
    backend.disposeData(packed.dataId);
  }
}
