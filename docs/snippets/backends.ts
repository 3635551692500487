import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { initBackend, unregisterWasmKernels } from '@efficient-attention/backends';
import { fusedAttentionKernel, scaledDotProductAttention } from '@efficient-attention/core';

// Tries wasm, then cpu; loads this package's WebAssembly SIMD kernels on 2 threads; reports what it found.
const report = await initBackend({ prefer: ['wasm', 'cpu'], threads: 2 });
const withKernel = Object.keys(report.kernels).filter((name) => report.kernels[name] === 'kernel');
console.log(
  `backend ${report.backend}, SIMD ${report.wasm.simd}, kernel threads ${report.wasm.kernelThreads}`,
);
console.log('contracts with a kernel:', withKernel.sort().join(' '));

// One fused (flash-style, O(N) memory) attention call, checked against core's plain tfjs-ops attention.
const [b, h, n, d] = [1, 4, 256, 32];
const q = tf.randomNormal([b, h, n, d], 0, 1, 'float32', 1);
const k = tf.randomNormal([b, h, n, d], 0, 1, 'float32', 2);
const v = tf.randomNormal([b, h, n, d], 0, 1, 'float32', 3);
const fused = fusedAttentionKernel.run({ q, k, v }, { scale: 1 / Math.sqrt(d), causal: true });
const plain = scaledDotProductAttention(q, k, v, { causal: true });
console.log(fused.shape, 'max |fused − plain|:', tf.max(tf.abs(tf.sub(fused, plain))).dataSync()[0]);

tf.dispose([q, k, v, fused, plain]);
unregisterWasmKernels(); // stops the kernel threads (a long-running server keeps them)
