import {
  bigBirdPattern,
  blockLocalPattern,
  dilatedSlidingWindowPattern,
  globalTokensPattern,
  longformerPattern,
  type MaskPatternDefinition,
  randomPatternDefinition,
  slidingWindowPattern,
  stridedPattern,
} from '@efficient-attention/sparse-masks';

/** The figure's shared controls; {@link FigurePattern.options} maps them onto each definition's options. */
export interface PatternParams {
  /** Sequence length N (queries and keys). */
  n: number;
  /** Window radius w: keys q − w … q + w (sliding, dilated, Longformer). */
  radius: number;
  /** Gap between attended keys of the dilated window. */
  dilation: number;
  /** Number of leading global tokens (global tokens, Longformer) or global blocks (BigBird). */
  globals: number;
  /** Random keys per query row (random) or random blocks per block row (BigBird). */
  randomPerRow: number;
  /** Block length (block local, BigBird, the block mask). */
  blockSize: number;
  /** Stride of the strided pattern. */
  stride: number;
  /** Seed of the random draws. */
  seed: number;
}

/** Defaults that make every pattern visible on a small sequence. */
export const DEFAULT_PATTERN_PARAMS: Readonly<PatternParams> = Object.freeze({
  n: 32,
  radius: 2,
  dilation: 2,
  globals: 2,
  randomPerRow: 3,
  blockSize: 4,
  stride: 4,
  seed: 0,
});

/** What a figure reads of a pattern definition (it builds the mask through the registry, by name). */
export type PatternDescription = Pick<
  MaskPatternDefinition,
  'name' | 'title' | 'description' | 'paper' | 'options'
>;

/**
 * A pattern the figure draws: a registered definition (name, title, paper, option schema), where it sits in
 * the survey's taxonomy, how the figure's shared controls become the definition's options, and the figure's
 * own checks — rules about what is worth drawing on N tokens (a window past the sequence draws a dense mask),
 * not about what a valid option is (the definition's schema and function say that).
 */
export interface FigurePattern {
  readonly definition: PatternDescription;
  /** One of the survey's five atomic patterns, or a compound of them (Lin et al. 2021, §4.1.1). */
  readonly survey: 'atomic' | 'compound';
  /** The definition's options for the figure's controls. */
  options(p: PatternParams): Record<string, unknown>;
  /** Why these controls draw nothing worth showing, in a sentence, or `undefined`. */
  figureCheck?(p: PatternParams): string | undefined;
}

const leading = (count: number) => Array.from({ length: count }, (_, i) => i);

function windowCoversSequence(p: PatternParams): string | undefined {
  return p.radius >= p.n
    ? `The window radius (${p.radius}) reaches past the whole sequence of ${p.n} tokens: pick a radius below ${p.n}.`
    : undefined;
}

function globalsBeyondSequence(p: PatternParams): string | undefined {
  return p.globals > p.n
    ? `The number of global tokens must be between 0 and N = ${p.n} (got ${p.globals}).`
    : undefined;
}

/** Blocks of the figure's BigBird window (the query's block and one on each side, as in the paper). */
const BIG_BIRD_WINDOW_BLOCKS = 3;

/**
 * The patterns of the figure, in its order: the survey's five atomic patterns (global, band, dilated,
 * random, block local) and three compound ones (Longformer, BigBird, strided). Lin et al. 2021, "A Survey
 * of Transformers", §4.1.1: https://arxiv.org/abs/2106.04554.
 *
 * @example
 * ```ts
 * FIGURE_PATTERNS.map((f) => f.definition.title);
 * ```
 */
export const FIGURE_PATTERNS: readonly FigurePattern[] = Object.freeze([
  {
    definition: globalTokensPattern,
    survey: 'atomic',
    options: (p) => ({ indices: leading(p.globals) }),
    figureCheck: (p) =>
      globalsBeyondSequence(p) ??
      (p.globals === 0 ? 'With 0 global tokens the global pattern is empty: pick at least 1.' : undefined),
  },
  {
    definition: slidingWindowPattern,
    survey: 'atomic',
    options: (p) => ({ radius: p.radius }),
    figureCheck: windowCoversSequence,
  },
  {
    definition: dilatedSlidingWindowPattern,
    survey: 'atomic',
    options: (p) => ({ radius: p.radius, dilation: p.dilation }),
    figureCheck: (p) =>
      p.radius * p.dilation >= p.n
        ? `The dilated window spans ${p.radius * p.dilation} positions each side, more than the ${p.n}-token sequence: lower the radius or the dilation.`
        : undefined,
  },
  {
    definition: randomPatternDefinition,
    survey: 'atomic',
    options: (p) => ({ perRow: p.randomPerRow }),
  },
  {
    definition: blockLocalPattern,
    survey: 'atomic',
    options: (p) => ({ size: p.blockSize }),
    figureCheck: (p) =>
      p.blockSize > p.n
        ? `The block size (${p.blockSize}) is larger than N = ${p.n}: the pattern would be dense.`
        : undefined,
  },
  {
    definition: longformerPattern,
    survey: 'compound',
    options: (p) => ({ radius: p.radius, dilation: p.dilation, globalIndices: leading(p.globals) }),
    figureCheck: (p) => windowCoversSequence(p) ?? globalsBeyondSequence(p),
  },
  {
    definition: bigBirdPattern,
    survey: 'compound',
    options: (p) => ({
      windowBlocks: BIG_BIRD_WINDOW_BLOCKS,
      globalBlocks: p.globals,
      // At most the blocks that are neither global nor in the window.
      randomBlocks: Math.min(
        p.randomPerRow,
        Math.max(0, Math.ceil(p.n / p.blockSize) - p.globals - BIG_BIRD_WINDOW_BLOCKS),
      ),
    }),
    figureCheck: (p) => {
      const blocks = Math.ceil(p.n / p.blockSize);
      return p.globals >= blocks
        ? `BigBird with ${p.globals} global blocks of ${p.blockSize} covers all ${blocks} blocks: lower the globals or the block size.`
        : undefined;
    },
  },
  {
    definition: stridedPattern,
    survey: 'compound',
    options: (p) => ({ stride: p.stride, causal: false }),
    figureCheck: (p) =>
      p.stride > p.n ? `The stride must be between 1 and N = ${p.n} (got ${p.stride}).` : undefined,
  },
] satisfies FigurePattern[]);
