import { builtinCatalogue, type Catalogue } from '@efficient-attention/all';

/** The mechanism, encoding and pattern registries model configs are resolved against. */
export type TransformerRegistries = Catalogue;

/**
 * The registries that model configs name mechanisms, encodings and mask patterns in: the shared catalogue of
 * `@efficient-attention/all` (every built-in), built on first call (never on import) in its own registries,
 * so the global `attentionMechanisms` and `positionalEncodings` are left untouched. The transformer only
 * iterates them and calls definitions' hooks; it knows no mechanism by name. Transformer architecture:
 * Vaswani et al. 2017, https://arxiv.org/abs/1706.03762.
 *
 * @example
 * ```ts
 * const { mechanisms, encodings } = transformerRegistries();
 * mechanisms.names(); // ['adaptive-span', 'block-sparse', 'dense', …]
 * encodings.get('rope').capabilities.kind; // 'rotary'
 * ```
 */
export function transformerRegistries(): TransformerRegistries {
  return builtinCatalogue();
}
