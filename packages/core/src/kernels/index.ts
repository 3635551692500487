export * from './block-sparse-attention.js';
export * from './causal-linear-attention.js';
export {
  type FusedAttentionAttrs,
  type FusedAttentionInputs,
  fusedAttentionKernel,
  resolveFusedAttentionAttrs,
} from './fused-attention.js';
export {
  defineKernelContract,
  expectKernelsOn,
  hasKernelFor,
  type KernelContract,
  listKernelContracts,
} from './kernel-contract.js';
export * from './rope.js';
export * from './ternary-matmul.js';
