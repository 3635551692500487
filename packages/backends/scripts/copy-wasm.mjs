// Copies the committed kernel binaries next to the compiled loader (dist/wasm/), where
// `new URL('./kernels.wasm', import.meta.url)` (and `./kernels-relaxed.wasm`) find them in Node and bundlers
// emit them as assets.
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync(new URL('../dist/wasm/', import.meta.url), { recursive: true });
for (const file of ['kernels.wasm', 'kernels-relaxed.wasm']) {
  copyFileSync(
    new URL(`../src/wasm/${file}`, import.meta.url),
    new URL(`../dist/wasm/${file}`, import.meta.url),
  );
}
