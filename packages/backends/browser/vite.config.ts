import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Cross-origin isolation (COOP same-origin + COEP require-corp): SharedArrayBuffer, hence the threads of
 * our WebAssembly kernel module, of tfjs-wasm's threaded build and of onnxruntime-web, needs it.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The browser harness of @efficient-attention/backends: `index.html` (kernels vs core's reference on webgl
 * and webgpu), `bench.html` (fused vs plain tfjs ops) and `wasm-bench.html` (our WebAssembly kernels vs
 * tfjs-wasm and onnxruntime-web, threaded). Workspace packages resolve to their TypeScript
 * source through the `@efficient-attention/source` condition; tfjs-core is deduplicated so kernels
 * register in the one engine the page uses.
 */
export default defineConfig({
  root,
  logLevel: 'warn',
  resolve: {
    conditions: ['@efficient-attention/source', 'browser', 'import', 'module', 'default'],
    dedupe: ['@tensorflow/tfjs-core'],
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // Unminified: tfjs-wasm's threaded build starts its pthread workers from the source text of its module
    // factory (Function.prototype.toString), which must not refer to names a minifier renamed outside it.
    minify: false,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./bench.html', import.meta.url)),
        'wasm-bench': fileURLToPath(new URL('./wasm-bench.html', import.meta.url)),
      },
    },
  },
  server: { headers: isolation },
  preview: { host: '127.0.0.1', strictPort: false, headers: isolation },
});
