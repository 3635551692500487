import '@tensorflow/tfjs-backend-cpu';
import { type RopeLayout, ropeKernel } from '@efficient-attention/core';
import { expectTensorsClose, seededNormalValues } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { onCpu, useDawnWebGPU } from '../../runtime/webgpu/testing/dawn-webgpu.js';
import { registerWebGPUKernels } from '../register-kernels.js';

/** float32 tolerance: one rotation (two products and a sum) per element. */
const ATOL = 1e-6;
const RTOL = 1e-5;

/** [batch, heads, seq, headDim, rotaryDim, layout]: full, partial (dividing and not dividing headDim). */
const CASES: Array<[number, number, number, number, number, RopeLayout]> = [
  [1, 2, 17, 16, 16, 'half-split'],
  [2, 3, 9, 12, 8, 'half-split'],
  [1, 2, 33, 64, 16, 'half-split'],
  [1, 2, 17, 16, 16, 'interleaved'],
  [2, 1, 20, 10, 6, 'interleaved'],
];

const dawn = await useDawnWebGPU();

describe('EARope on webgpu (WGSL, Dawn in Node)', () => {
  if (!dawn.available) {
    console.warn(`WebGPU suite skipped: ${dawn.reason}`);
    it.skip(`skipped: ${dawn.reason}`, () => {});
    return;
  }
  registerWebGPUKernels();

  it.each(CASES)(
    'equals core reference (cpu): [%i, %i, %i, %i], rotaryDim %i, %s',
    async (b, h, s, d, r, layout) => {
      expect(tf.getKernel(ropeKernel.name, 'webgpu')).toBeDefined();
      const xv = seededNormalValues(b * h * s * d, s + d);
      // Tables from Math.cos/sin, identical on both backends (GPU sin/cos of large angles differ from cpu's).
      const angle = (i: number) => Math.floor(i / (r / 2)) * 0.1 ** ((i % (r / 2)) / 4);
      const cosv = Float32Array.from({ length: (s * r) / 2 }, (_, i) => Math.cos(angle(i)));
      const sinv = Float32Array.from({ length: (s * r) / 2 }, (_, i) => Math.sin(angle(i)));
      const make = () => ({
        x: tf.tensor4d(xv, [b, h, s, d]),
        cos: tf.tensor2d(cosv, [s, r / 2]),
        sin: tf.tensor2d(sinv, [s, r / 2]),
      });
      const attrs = { layout, rotaryDim: r };
      const expected = await onCpu(() =>
        tf.tidy(() => ropeKernel.reference(make(), attrs).dataSync().slice()),
      );
      const before = tf.memory().numTensors;
      const inputs = make();
      const out = ropeKernel.run(inputs, attrs);
      expect(out.shape).toEqual([b, h, s, d]);
      expectTensorsClose(await out.data(), expected, { atol: ATOL, rtol: RTOL });
      tf.dispose([out, ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
