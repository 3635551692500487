import { longformerPattern } from '@efficient-attention/sparse-masks';
import { useState } from 'react';
import { BlockGrid } from './block-grid.js';
import { RangeControl, SelectControl } from './controls.js';
import { FigureFrame, Pending } from './figure-frame.js';
import {
  DEFAULT_PATTERN_PARAMS,
  FIGURE_PATTERNS,
  type FigurePattern,
  type PatternDescription,
  type PatternParams,
} from './figure-patterns.js';
import { formatNumber, formatPercent } from './format-number.js';
import { Heatmap } from './heatmap.js';
import type { MaskStats } from './mask-stats.js';
import { useAsyncValue } from './use-async-value.js';

/** Props of {@link SparsePatternFigure}. */
export interface SparsePatternFigureProps {
  /** Initial parameters (sequence length, window, dilation, globals, random keys, block size, stride, seed). */
  initial?: Partial<PatternParams>;
  /** Pattern whose block mask is shown first (one of `patterns`). Default `longformerPattern`. */
  initialSelected?: PatternDescription;
  /** Head width d used for the FLOP counts. Default 64. */
  headDim?: number;
  /** The patterns drawn, in order. Default {@link FIGURE_PATTERNS}. */
  patterns?: readonly FigurePattern[];
}

type Outcome = { pattern: FigurePattern } & ({ problem: string } | { stats: MaskStats });

/** Why N cannot be drawn at all, or `undefined`. */
function sequenceProblem(p: PatternParams): string | undefined {
  return Number.isInteger(p.n) && p.n >= 1
    ? undefined
    : `The sequence length must be a whole number ≥ 1 (got ${p.n}).`;
}

/**
 * Section 3 of the blog: the survey's five atomic sparse patterns (global, band, dilated, random, block
 * local) and three compound ones (Longformer, BigBird, strided) as N × N mask heatmaps, each with its
 * density and the attention FLOPs it saves, plus the block mask of a selected pattern — all built from the
 * registered pattern definitions (titles, papers, option validation) by `createPatternMask` of
 * `@efficient-attention/sparse-masks` in the page. Lin et al. 2021, https://arxiv.org/abs/2106.04554.
 *
 * @example
 * ```tsx
 * <SparsePatternFigure initial={{ n: 32, radius: 2 }} />
 * ```
 */
export function SparsePatternFigure({
  initial,
  initialSelected = longformerPattern,
  headDim = 64,
  patterns = FIGURE_PATTERNS,
}: SparsePatternFigureProps) {
  const [p, setP] = useState<PatternParams>({ ...DEFAULT_PATTERN_PARAMS, ...initial });
  const [selected, setSelected] = useState<string>(initialSelected.name);
  const set = (key: keyof PatternParams) => (value: number) => setP((old) => ({ ...old, [key]: value }));
  const state = useAsyncValue(async () => {
    const [{ buildPatternMask, optionProblem }, { maskStats }] = await Promise.all([
      import('./build-pattern.js'),
      import('./mask-stats.js'),
    ]);
    const context = { seed: p.seed, qLen: p.n, kvLen: p.n, blockSize: p.blockSize };
    return patterns.map((pattern): Outcome => {
      const problem = sequenceProblem(p) ?? pattern.figureCheck?.(p);
      if (problem !== undefined) return { pattern, problem };
      const built = buildPatternMask({ pattern: pattern.definition.name, ...pattern.options(p) }, context);
      if ('problem' in built) return { pattern, problem: built.problem };
      try {
        return { pattern, stats: maskStats(built.mask, p.n, { blockSize: p.blockSize, headDim }) };
      } catch (error) {
        return { pattern, problem: optionProblem(error) };
      }
    });
  }, [p, headDim, patterns]);
  const chosen =
    state.status === 'ready' ? state.value.find((o) => o.pattern.definition.name === selected) : undefined;

  return (
    <FigureFrame
      className="ea-sparse-pattern-figure"
      caption={
        <>
          Sparse attention patterns on N = {p.n} tokens (yellow = attended key). Density is the fraction of
          the N² query–key pairs that are computed; FLOPs saved counts QKᵀ and AV at head width {headDim}. The
          block mask groups pairs into blocks of {p.blockSize}: a block-sparse kernel skips empty blocks.
        </>
      }
      controls={
        <>
          <RangeControl label="Sequence length N" value={p.n} min={8} max={64} onChange={set('n')} />
          <RangeControl label="Window radius" value={p.radius} min={0} max={16} onChange={set('radius')} />
          <RangeControl label="Dilation" value={p.dilation} min={1} max={8} onChange={set('dilation')} />
          <RangeControl label="Global tokens" value={p.globals} min={0} max={8} onChange={set('globals')} />
          <RangeControl
            label="Random keys per row"
            value={p.randomPerRow}
            min={0}
            max={16}
            onChange={set('randomPerRow')}
          />
          <RangeControl label="Block size" value={p.blockSize} min={1} max={16} onChange={set('blockSize')} />
          <RangeControl label="Stride" value={p.stride} min={1} max={16} onChange={set('stride')} />
          <RangeControl label="Random seed" value={p.seed} min={0} max={20} onChange={set('seed')} />
          <SelectControl
            label="Block mask of"
            value={selected}
            options={patterns.map(({ definition }) => ({ value: definition.name, label: definition.title }))}
            onChange={setSelected}
          />
        </>
      }
    >
      <Pending state={state} />
      {state.status === 'ready' && (
        <>
          <div className="ea-gallery" style={{ display: 'flex', flexWrap: 'wrap', gap: 16 }}>
            {state.value.map((o) => {
              const { definition } = o.pattern;
              return (
                <section
                  key={definition.name}
                  data-testid={`pattern-${definition.name}`}
                  aria-label={definition.title}
                >
                  <h4 style={{ margin: '0 0 4px' }}>
                    {definition.title} {o.pattern.survey === 'compound' ? '(compound)' : ''}
                  </h4>
                  <p className="ea-paper" style={{ margin: '0 0 4px' }}>
                    <a href={definition.paper.url} title={definition.paper.title}>
                      {definition.paper.authors} {definition.paper.year}
                    </a>
                  </p>
                  {'problem' in o ? (
                    <p role="alert">{o.problem}</p>
                  ) : (
                    <>
                      <Heatmap
                        matrix={o.stats.matrix}
                        label={`${definition.title} mask`}
                        rowLabel="query"
                        columnLabel="key"
                        valueLabel="attended"
                        domain={[0, 1]}
                        scheme="cividis"
                        size={160}
                      />
                      <dl className="ea-stats">
                        <dt>density</dt>
                        <dd data-testid="density">{formatNumber(o.stats.density)}</dd>
                        <dt>pairs</dt>
                        <dd>
                          {o.stats.allowed} / {p.n * p.n}
                        </dd>
                        <dt>FLOPs saved</dt>
                        <dd data-testid="flops-saved">{formatPercent(o.stats.flopsSaved)}</dd>
                      </dl>
                    </>
                  )}
                </section>
              );
            })}
          </div>
          {chosen !== undefined && 'stats' in chosen && (
            <section data-testid="selected-block-mask" aria-label="Block mask">
              <h4>
                Block mask of {chosen.pattern.definition.title}: block sparsity{' '}
                <span data-testid="block-sparsity">{formatPercent(chosen.stats.blockSparsity)}</span>, FLOPs{' '}
                {formatNumber(chosen.stats.sparseFlops)} of {formatNumber(chosen.stats.denseFlops)}
              </h4>
              <BlockGrid
                mask={chosen.stats.blockMask}
                label={`Block mask of ${chosen.pattern.definition.title}`}
              />
            </section>
          )}
        </>
      )}
    </FigureFrame>
  );
}
