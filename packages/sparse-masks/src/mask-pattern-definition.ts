import type { MaskMod, OptionSchema, PaperReference } from '@efficient-attention/core';

/** A pattern's parameters from a config (the `pattern` key excluded), validated against its schema. */
export type PatternParameters = Readonly<Record<string, unknown>>;

/** What a pattern built from a config may depend on besides its parameters. */
export interface MaskPatternContext {
  /** Seed for random patterns (the mechanism's seed). */
  readonly seed: number;
  readonly qLen: number;
  readonly kvLen: number;
  /** The block mask's block size (BigBird's blocks use it). */
  readonly blockSize: number;
}

/**
 * A pattern that JSON configs can name: `{ pattern: 'sliding-window', radius: 64 }` builds
 * `slidingWindow({ radius: 64 })`. Its `options` schema is the one place that says which parameters a config
 * may give (type, default, range, meaning); `createPatternMask` validates a config against it, then the
 * pattern function runs its own, stricter checks (e.g. `radius` not mixed with `before`). Each pattern file
 * exports its definition next to its function (e.g. `slidingWindowPattern`). FlexAttention's
 * `mask_mod` catalogue: https://arxiv.org/abs/2412.05496.
 *
 * `create` receives the config's parameters after schema validation, with the schema's defaults filled in
 * (parameters the function requires are still checked by the function); a definition may declare them
 * narrower, e.g. `create: (p: SlidingWindowOptions & PatternParameters) => slidingWindow(p)`.
 *
 * @example
 * ```ts
 * const diagonalPattern: MaskPatternDefinition = {
 *   name: 'diagonal',
 *   title: 'Diagonal',
 *   description: 'Each query attends itself.',
 *   paper: paper('Attention Is All You Need', 'Vaswani et al.', 2017, 'https://arxiv.org/abs/1706.03762', 'NeurIPS'),
 *   options: defineOptions({}),
 *   create: () => slidingWindow({ radius: 0 }),
 * };
 * createMaskPatternRegistry([diagonalPattern]);
 * ```
 */
export interface MaskPatternDefinition {
  /** The kebab-case name configs use, e.g. `sliding-window`. */
  readonly name: string;
  /** Display name for tables and the playground, e.g. `Sliding window`. */
  readonly title: string;
  /** One sentence for tables and errors. */
  readonly description: string;
  /** The paper that introduced the pattern. */
  readonly paper: PaperReference;
  /** Every parameter a config may give (the `pattern` key itself excluded). */
  readonly options: OptionSchema;
  /**
   * For a pattern that is exactly a band (`kv ∈ [q − before, q + after]` and nothing else): its extent for
   * these parameters. Decoding uses it to keep a rolling cache of the last `1 + before` keys.
   */
  band?(params: PatternParameters): { readonly before: number; readonly after: number };
  /** Builds the mask for one call's lengths. */
  create(params: PatternParameters, context: MaskPatternContext): MaskMod;
}

/**
 * The former name of {@link MaskPatternDefinition}.
 *
 * @deprecated Use {@link MaskPatternDefinition}; `spec.parameters` is now `Object.keys(definition.options)`.
 * @example
 * ```ts
 * const spec: MaskPatternSpec = maskPatterns.get('sliding-window');
 * ```
 */
export type MaskPatternSpec = MaskPatternDefinition;
