import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The browser harness of @efficient-attention/backends: `index.html` (kernels vs core's reference on webgl
 * and webgpu) and `bench.html` (fused vs plain tfjs ops). Workspace packages resolve to their TypeScript
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
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./bench.html', import.meta.url)),
      },
    },
  },
  preview: { host: '127.0.0.1', strictPort: false },
});
