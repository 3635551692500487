import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { expectTensorsClose, seededTensor } from '@efficient-attention/test-utils';
import { describe, expect, it } from 'vitest';
import { enableNodeWasmThreads } from './node-wasm-threads.js';

// This file initialises tfjs-wasm itself (threads must be set before the backend starts), so it does not use
// describeBackends. Reference: the cpu backend's matMul.
describe('enableNodeWasmThreads', () => {
  it('rejects unknown options before touching tfjs', async () => {
    await expect(enableNodeWasmThreads({ thread: 2 } as never)).rejects.toThrow(/thread/);
  });

  it('starts tfjs-wasm with 2 XNNPACK threads whose matMul equals the cpu backend', async () => {
    const createObjectURL = URL.createObjectURL;
    const os = await import('node:os');
    const cpus = os.default.cpus;
    const { threads } = await enableNodeWasmThreads({ threads: 2 });
    // The two temporary redirections are undone.
    expect(URL.createObjectURL).toBe(createObjectURL);
    expect(os.default.cpus).toBe(cpus);
    expect(tf.getBackend()).toBe('wasm');
    expect(threads).toBe(2);
    const a = seededTensor([300, 200], 1).tensor;
    const b = seededTensor([200, 250], 2).tensor;
    const out = tf.matMul(a, b);
    const values = out.dataSync().slice();
    await tf.setBackend('cpu');
    const a2 = tf.tensor(a.dataSync(), a.shape);
    const b2 = tf.tensor(b.dataSync(), b.shape);
    const expected = tf.matMul(a2, b2);
    // Sums of 200 products of N(0, 1) values in float32 (XNNPACK blocks the sum differently).
    expectTensorsClose(values, expected, { atol: 1e-4, rtol: 1e-4 });
    tf.dispose([a, b, out, a2, b2, expected]);
  });

  it('refuses to run once the wasm backend is initialised', async () => {
    await expect(enableNodeWasmThreads({ threads: 2 })).rejects.toThrow(
      /before the tfjs "wasm" backend initialises/,
    );
  });
});
