/**
 * `@efficient-attention/sparse-masks`: Composable FlexAttention-style masks (sliding window, dilated, global, random, block-local, BigBird, Longformer…) and block-sparse attention that skips masked blocks.
 *
 * @packageDocumentation
 */
export {};
