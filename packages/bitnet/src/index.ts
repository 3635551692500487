/**
 * `@efficient-attention/bitnet`: BitNet quantizers, BitLinear, packed ternary weights and multiplication-free ternary matmul for TensorFlow.js.
 *
 * Nothing registers itself on import: call `registerBitnet()` (the `hamming` attention mechanism),
 * `registerBitnetKernels()` (the `cpu` ternary matmul kernel) and `registerBitLinearLayer()` (tfjs-layers
 * serialisation) as needed.
 *
 * @packageDocumentation
 */

export {
  ACTIVATION_ABSMAX_MIN,
  ACTIVATION_QB,
  fakeQuantizeActivations,
  type QuantizedActivations,
  quantizeActivations,
} from './activation-quantization.js';
export { type BitLinearOptions, bitLinear } from './bit-linear.js';
export { BitLinear, type BitLinearArgs, registerBitLinearLayer } from './bit-linear-layer.js';
export { type HammingAttentionOptions, hammingAttention } from './hamming-attention.js';
export { type HammingConfig, hammingMechanism } from './hamming-mechanism.js';
export { hammingSimilarity, packSignBits, popcount32 } from './hamming-similarity.js';
export {
  type LayerWeights,
  type ModelSizeReport,
  modelSizeReport,
  NOMINAL_BITS_PER_WEIGHT,
  type SizeRow,
  WEIGHT_FORMATS,
  type WeightBytesOptions,
  type WeightFormat,
  weightBytes,
} from './memory-accounting.js';
export {
  type BitLinearPackedOptions,
  bitLinearPacked,
  type PackBitLinearWeightsOptions,
  type PackedBitLinearWeights,
  packBitLinearWeights,
} from './packed-bit-linear.js';
export { bitnetMechanisms, registerBitnet } from './register-bitnet.js';
export { registerBitnetKernels } from './register-bitnet-kernels.js';
export { type RmsNormOptions, rmsNorm } from './rms-norm.js';
export { type TernaryGemmArgs, ternaryGemm } from './ternary-gemm.js';
export {
  type PackedTernary,
  type PackTernaryOptions,
  packTernary,
  unpackTernary,
} from './ternary-packing.js';
export {
  type FakeQuantizeWeightsOptions,
  fakeQuantizeWeights,
  type QuantizedWeights,
  type QuantizeWeightsOptions,
  quantizeWeights,
  TERNARY_SCALE_MIN,
  type WeightBits,
  type WeightSte,
} from './weight-quantization.js';
