/** The sparse patterns the figures draw: the survey's five atomic patterns and three compound ones. */
export const PATTERN_KINDS = [
  'global',
  'band',
  'dilated',
  'random',
  'block-local',
  'longformer',
  'bigbird',
  'strided',
] as const;

/** One of {@link PATTERN_KINDS}. */
export type PatternKind = (typeof PATTERN_KINDS)[number];

/** Display names and the papers of each pattern (Lin et al. 2021, "A Survey of Transformers", §4.1.1). */
export const PATTERN_INFO: Readonly<Record<PatternKind, { title: string; atomic: boolean; paper: string }>> =
  {
    global: { title: 'Global', atomic: true, paper: 'https://arxiv.org/abs/2004.05150' },
    band: { title: 'Band (sliding window)', atomic: true, paper: 'https://arxiv.org/abs/2004.05150' },
    dilated: { title: 'Dilated', atomic: true, paper: 'https://arxiv.org/abs/2004.05150' },
    random: { title: 'Random', atomic: true, paper: 'https://arxiv.org/abs/2007.14062' },
    'block-local': { title: 'Block local', atomic: true, paper: 'https://arxiv.org/abs/1802.05751' },
    longformer: {
      title: 'Longformer (band + dilated + global)',
      atomic: false,
      paper: 'https://arxiv.org/abs/2004.05150',
    },
    bigbird: {
      title: 'BigBird (window + global + random)',
      atomic: false,
      paper: 'https://arxiv.org/abs/2007.14062',
    },
    strided: {
      title: 'Strided (Sparse Transformer)',
      atomic: false,
      paper: 'https://arxiv.org/abs/1904.10509',
    },
  };

/** The parameters of every pattern kind (each kind reads the ones it needs). */
export interface PatternParams {
  /** Sequence length N (queries and keys). */
  n: number;
  /** Window radius w: keys q − w … q + w (band, dilated, Longformer). */
  radius: number;
  /** Gap between attended keys of the dilated window. */
  dilation: number;
  /** Number of leading global tokens (global, Longformer) or global blocks (BigBird). */
  globals: number;
  /** Random keys per query row (random) or random blocks per block row (BigBird). */
  random: number;
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
  random: 3,
  blockSize: 4,
  stride: 4,
  seed: 0,
});

/**
 * Why `params` cannot build `kind`, in a sentence, or `undefined` when they can. Figures show this in the
 * page instead of letting the pattern constructor throw.
 *
 * @example
 * ```ts
 * patternProblem('band', { ...DEFAULT_PATTERN_PARAMS, radius: 40 }); // 'The window radius (40) …'
 * ```
 */
export function patternProblem(kind: PatternKind, p: PatternParams): string | undefined {
  const int = (v: number) => Number.isInteger(v);
  if (!int(p.n) || p.n < 1) return `The sequence length must be a whole number ≥ 1 (got ${p.n}).`;
  if ((kind === 'band' || kind === 'dilated' || kind === 'longformer') && (!int(p.radius) || p.radius < 0))
    return `The window radius must be a whole number ≥ 0 (got ${p.radius}).`;
  if ((kind === 'band' || kind === 'longformer') && p.radius >= p.n)
    return `The window radius (${p.radius}) reaches past the whole sequence of ${p.n} tokens: pick a radius below ${p.n}.`;
  if ((kind === 'dilated' || kind === 'longformer') && (!int(p.dilation) || p.dilation < 1))
    return `The dilation must be a whole number ≥ 1 (got ${p.dilation}).`;
  if (kind === 'dilated' && p.radius * p.dilation >= p.n)
    return `The dilated window spans ${p.radius * p.dilation} positions each side, more than the ${p.n}-token sequence: lower the radius or the dilation.`;
  if ((kind === 'global' || kind === 'longformer') && (!int(p.globals) || p.globals < 0 || p.globals > p.n))
    return `The number of global tokens must be between 0 and N = ${p.n} (got ${p.globals}).`;
  if (kind === 'global' && p.globals === 0)
    return 'With 0 global tokens the global pattern is empty: pick at least 1.';
  if (kind === 'random' && (!int(p.random) || p.random < 0 || p.random > p.n))
    return `The random keys per row must be between 0 and N = ${p.n} (got ${p.random}).`;
  if ((kind === 'block-local' || kind === 'bigbird') && (!int(p.blockSize) || p.blockSize < 1))
    return `The block size must be a whole number ≥ 1 (got ${p.blockSize}).`;
  if (kind === 'block-local' && p.blockSize > p.n)
    return `The block size (${p.blockSize}) is larger than N = ${p.n}: the pattern would be dense.`;
  if (kind === 'bigbird') {
    const blocks = Math.ceil(p.n / p.blockSize);
    if (p.globals >= blocks)
      return `BigBird with ${p.globals} global blocks of ${p.blockSize} covers all ${blocks} blocks: lower the globals or the block size.`;
  }
  if (kind === 'strided' && (!int(p.stride) || p.stride < 1 || p.stride > p.n))
    return `The stride must be between 1 and N = ${p.n} (got ${p.stride}).`;
  return undefined;
}
