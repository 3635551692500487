import { blockSparseAttentionKernel } from '@efficient-attention/core';
import { compileBlockMask, describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';

// The wasm kernel's own checks of the block lists (reached through `tf.engine().runKernel`, past core's
// reference checks): a wrong dtype names the dtype, a wrong shape the shape (issue 21: the dtype error used
// to print the shape).
describeBackends(
  'block-sparse wasm kernel: block-list errors',
  () => {
    beforeAll(async () => {
      await registerWasmKernels({ threads: 2 });
    });
    afterAll(() => unregisterWasmKernels());

    it('a float32 kvNumBlocks is named with its dtype; a wrong shape with its shape', () => {
      const q = tf.ones([1, 1, 8, 4]);
      const mask = compileBlockMask(() => true, 1, 1, 8, 8, 4);
      const attrs = { blockSize: 4, qLen: 8, kvLen: 8, scale: 0.5 };
      const run = (lists: Record<string, tf.Tensor>) => () =>
        tf.engine().runKernel(blockSparseAttentionKernel.name, { q, k: q, v: q, ...lists }, attrs);
      const asFloat = tf.cast(mask.kvNumBlocks, 'float32');
      expect(run({ ...mask, kvNumBlocks: asFloat })).toThrow(
        /`kvNumBlocks\.dtype` must be "int32", received "?float32"?/,
      );
      const wrongShape = tf.zeros([1, 1, 3], 'int32');
      expect(run({ ...mask, fullKvNumBlocks: wrongShape })).toThrow(
        /`fullKvNumBlocks\.shape` must be an int32 tensor \[1, 1, 2\], received \[1, 1, 3\]/,
      );
      tf.dispose([q, asFloat, wrongShape, ...Object.values(mask)]);
    });
  },
  { backends: ['wasm', 'cpu'] },
);
