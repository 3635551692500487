/**
 * Side-effect entry: registers the `webgl` kernels on import (the `@efficient-attention/backends/webgl`
 * entry, listed in `sideEffects`), and exports everything `./index.js` does.
 *
 * @packageDocumentation
 */
import { registerWebGLKernels } from './register-webgl-kernels.js';

registerWebGLKernels();

export * from './index.js';
