import type * as tf from '@tensorflow/tfjs-core';

/**
 * The part of tfjs-backend-webgl's `GPGPUProgram` interface (4.22) our programs fill in, declared
 * structurally so this package never imports the backend at runtime. tfjs compiles `userCode` (GLSL ES
 * 3.00 with `void main()`) after generated samplers `getX(...)` per name in `variableNames`,
 * `getOutputCoords()`, `setOutput(float)` and one `uniform` per entry of `customUniforms`. The compiled
 * program is cached by the user code and the input shapes. With `packedInputs`/`packedOutput`, samplers
 * return and `setOutput` takes a `vec4` of a 2×2 block of the last two axes (the layout of tfjs's packed
 * `matMul`), and `getOutputCoords()` gives the block's first row and column.
 */
export interface GPGPUProgramSpec {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms?: Array<{ name: string; type: 'float' | 'int' }>;
  packedInputs?: boolean;
  packedOutput?: boolean;
}

/** The method of tfjs-backend-webgl's `MathBackendWebGL` that runs a custom program. */
export interface WebGLBackendLike {
  runWebGLProgram(
    program: GPGPUProgramSpec,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    customUniformValues?: number[][],
  ): tf.TensorInfo;
}
