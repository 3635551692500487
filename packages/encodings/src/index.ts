/**
 * `@efficient-attention/encodings`: Positional encodings for attention: additive (sinusoidal, linear, learned), rotary (RoPE with PI/NTK/YaRN, xPos) and score biases (ALiBi, T5, NoPE).
 *
 * @packageDocumentation
 */
export {};
