/**
 * Side-effect entry: registers the `webgpu` kernels on import (the `@efficient-attention/backends/webgpu`
 * entry, listed in `sideEffects`), and exports everything `./index.js` does.
 *
 * @packageDocumentation
 */
import { registerWebGPUKernels } from './register-webgpu-kernels.js';

registerWebGPUKernels();

export * from './index.js';
