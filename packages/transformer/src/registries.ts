import { registerAdaptive } from '@efficient-attention/adaptive';
import { registerBitnet } from '@efficient-attention/bitnet';
import { MechanismRegistry, registerCoreMechanisms } from '@efficient-attention/core';
import { EncodingRegistry, registerEncodings } from '@efficient-attention/encodings';
import { registerLinearAttention } from '@efficient-attention/linear-attention';
import { registerSparseMasks } from '@efficient-attention/sparse-masks';

/** The mechanism and encoding registries model configs are resolved against. */
export interface TransformerRegistries {
  readonly mechanisms: MechanismRegistry;
  readonly encodings: EncodingRegistry;
}

let registries: TransformerRegistries | undefined;

/**
 * The private registries that model configs name mechanisms and encodings in: every mechanism of core,
 * sparse-masks (`block-sparse`), adaptive, linear-attention and bitnet (`hamming`), and every encoding of
 * encodings. Built on first call (never on import) in new registries, so the global `attentionMechanisms`
 * and `positionalEncodings` are left untouched. The names match the global registries' names.
 * Transformer architecture: Vaswani et al. 2017, https://arxiv.org/abs/1706.03762.
 *
 * @example
 * ```ts
 * const { mechanisms, encodings } = transformerRegistries();
 * mechanisms.names(); // ['adaptive-span', 'block-sparse', 'dense', …]
 * encodings.get('rope').capabilities.kind; // 'rotary'
 * ```
 */
export function transformerRegistries(): TransformerRegistries {
  if (registries === undefined) {
    const mechanisms = new MechanismRegistry();
    registerCoreMechanisms(mechanisms);
    registerSparseMasks(mechanisms);
    registerAdaptive(mechanisms);
    registerLinearAttention(mechanisms);
    registerBitnet(mechanisms);
    const encodings = new EncodingRegistry();
    registerEncodings(encodings);
    registries = Object.freeze({ mechanisms, encodings });
  }
  return registries;
}
