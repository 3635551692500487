// Copies the committed kernel binary next to the compiled loader (dist/wasm/), where
// `new URL('./kernels.wasm', import.meta.url)` finds it in Node and bundlers emit it as an asset.
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync(new URL('../dist/wasm/', import.meta.url), { recursive: true });
copyFileSync(
  new URL('../src/wasm/kernels.wasm', import.meta.url),
  new URL('../dist/wasm/kernels.wasm', import.meta.url),
);
