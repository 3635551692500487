import { cpSync, createReadStream, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const sourceCondition = '@efficient-attention/source';

/** Where apps/experiments writes the small trained models (`pnpm experiments --preset quick`); `PLAYGROUND_MODELS_DIR` overrides it. */
const modelsDir = resolve(
  process.env.PLAYGROUND_MODELS_DIR ?? resolve(import.meta.dirname, '../../results/quick/models'),
);

/**
 * Serves results/quick/models at `models/` in dev and copies it into the build, so the Attention view
 * loads the exported models by relative URL. When the folder does not exist yet nothing is copied, and
 * the view explains how to produce the models.
 */
function experimentModels(): Plugin {
  let outDir = 'dist';
  return {
    name: 'efficient-attention-models',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use('/models', (req, res, next) => {
        const file = join(modelsDir, decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
        if (!file.startsWith(modelsDir) || !existsSync(file) || !statSync(file).isFile()) return next();
        res.setHeader(
          'Content-Type',
          file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        );
        createReadStream(file).pipe(res);
      });
    },
    writeBundle() {
      if (existsSync(modelsDir)) cpSync(modelsDir, join(outDir, 'models'), { recursive: true });
    },
  };
}

export default defineConfig({
  // Relative asset URLs: the static build works under any path the docs site links to.
  base: './',
  plugins: [react(), experimentModels()],
  resolve: { conditions: [sourceCondition, 'module', 'browser', 'development|production'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
