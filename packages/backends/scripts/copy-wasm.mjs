// Copies the committed kernel binaries next to the compiled loader (dist/runtime/wasm/), where
// `new URL('./kernels.wasm', import.meta.url)` (and `./kernels-relaxed.wasm`) find them in Node and bundlers
// emit them as assets.
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync(new URL('../dist/runtime/wasm/', import.meta.url), { recursive: true });
for (const file of ['kernels.wasm', 'kernels-relaxed.wasm']) {
  copyFileSync(
    new URL(`../src/runtime/wasm/${file}`, import.meta.url),
    new URL(`../dist/runtime/wasm/${file}`, import.meta.url),
  );
}
