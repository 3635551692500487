/**
 * `@efficient-attention/bitnet`: BitNet quantizers, BitLinear, packed ternary weights and multiplication-free ternary matmul for TensorFlow.js.
 *
 * @packageDocumentation
 */
export {};
