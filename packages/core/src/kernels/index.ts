export {
  type AttentionGradGeometry,
  attentionGradReference,
  attentionLogSumExpReference,
} from './attention-grad-reference.js';
export * from './block-sparse-attention.js';
export * from './causal-linear-attention.js';
export {
  type FusedAttentionAttrs,
  type FusedAttentionGradInputs,
  type FusedAttentionInputs,
  fusedAttentionGradKernel,
  fusedAttentionKernel,
  resolveFusedAttentionAttrs,
} from './fused-attention.js';
export {
  defineKernelContract,
  expectKernelsOn,
  hasKernelFor,
  isTapeRecording,
  type KernelContract,
  type KernelGradient,
  listKernelContracts,
  noteReferencePath,
} from './kernel-contract.js';
export * from './rope.js';
export * from './ternary-matmul.js';
