import { builtinCatalogue } from '@efficient-attention/all';
import {
  BlockGrid,
  formatNumber,
  formatPercent,
  GlobalLocalFigure,
  Heatmap,
  RangeControl,
  SelectControl,
} from '@efficient-attention/figures';
import {
  globalTokensPattern,
  randomPatternDefinition,
  slidingWindowPattern,
} from '@efficient-attention/sparse-masks';
import { useEffect } from 'react';
import { type MaskTerm, parseMaskTerms, termOptions, termParamKey, writeMaskTerms } from '../mask-terms.js';
import { setParams, useNumberParam, useRoute, useStringParam } from '../url-state.js';
import { OptionControl } from './option-control.js';
import { TaskStatus } from './task-status.js';
import { useTask } from './use-task.js';

/** Largest N the editor builds on the page (the N × N preview has N² cells). */
export const MAX_EDITOR_N = 1024;

/** The mask a fresh view shows: a sliding window of radius 2 or two global tokens (Longformer's parts). */
const DEFAULT_TERMS: readonly MaskTerm[] = [
  { pattern: slidingWindowPattern.name, negate: false, values: { radius: '2' } },
  { pattern: globalTokensPattern.name, negate: false, values: { indices: '0, 1' } },
];

/** The term "Add pattern" appends: three random keys per row. */
const ADDED_TERM: MaskTerm = {
  pattern: randomPatternDefinition.name,
  negate: false,
  values: { perRow: '3' },
};

/**
 * Masks: compose every registered pattern with and/or/not, each with the controls its option schema asks
 * for, and see the N × N mask, the block mask, density and FLOPs saved; options a definition rejects are
 * explained in the page. The mask is built and measured in the worker.
 */
export function MasksView() {
  const patterns = builtinCatalogue().patterns;
  const definitions = patterns.list();
  const { params } = useRoute();
  const terms = parseMaskTerms(params, patterns, DEFAULT_TERMS);
  const [op, setOp] = useStringParam<'or' | 'and'>('op', 'or', ['or', 'and']);
  const [n, setN] = useNumberParam('n', 32);
  const [blockSize, setBlockSize] = useNumberParam('blockSize', 4);
  const [seed, setSeed] = useNumberParam('seed', 0);
  const setTerms = (next: readonly MaskTerm[]) => setParams((p) => writeMaskTerms(p, next));
  const setTerm = (i: number, change: Partial<MaskTerm>) =>
    setTerms(terms.map((t, j) => (j === i ? { ...t, ...change } : t)));
  const setValue = (i: number, key: string, raw: string | undefined) => {
    const { [key]: _old, ...rest } = terms[i]!.values;
    setTerm(i, { values: raw === undefined ? rest : { ...rest, [key]: raw } });
  };
  // A new pattern keeps the typed values of the options it shares with the old one (e.g. `radius`).
  const setPattern = (i: number, pattern: string) => {
    const schema = patterns.get(pattern).options;
    const kept = Object.entries(terms[i]!.values).filter(([key]) => key in schema);
    setTerm(i, { pattern, values: Object.fromEntries(kept) });
  };
  const [windowN, setWindowN] = useNumberParam('wn', 16, 4, 48);
  const [windowRadius, setWindowRadius] = useNumberParam('wr', 2, 0, 64);

  const problems = [
    ...(n > MAX_EDITOR_N
      ? [
          `N = ${n} is more than this editor draws (${MAX_EDITOR_N}): its preview would have ${n * n} cells. Lower N.`,
        ]
      : []),
    ...(blockSize > n ? [`The block size (${blockSize}) is larger than N = ${n}: use at most ${n}.`] : []),
  ];
  const args = {
    terms: terms.map((t) => ({
      pattern: t.pattern,
      negate: t.negate,
      options: termOptions(patterns.get(t.pattern).options, t.values),
    })),
    op,
    n,
    blockSize,
    seed,
  };
  const key = JSON.stringify(args);
  const { state: task, start, cancel } = useTask('masks');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` lists every input of the mask.
  useEffect(() => {
    if (problems.length === 0) start(args);
  }, [key]);
  const result = task.status === 'done' ? task.value : undefined;
  const shownProblems = problems.length > 0 ? problems : result?.status === 'invalid' ? result.problems : [];
  const built = problems.length === 0 && result?.status === 'built' ? result : undefined;

  return (
    <section aria-labelledby="masks-title">
      <h2 id="masks-title">Masks</h2>
      <fieldset>
        <legend>Pattern editor</legend>
        <ul className="terms">
          {terms.map((t, i) => {
            const definition = patterns.get(t.pattern);
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: terms are edited in place by position.
              <li key={i}>
                <div className="term-head">
                  <SelectControl
                    label={`Pattern ${i + 1}`}
                    value={t.pattern}
                    options={definitions.map((d) => ({ value: d.name, label: d.title }))}
                    onChange={(pattern) => setPattern(i, pattern)}
                  />
                  <label>
                    <input
                      type="checkbox"
                      checked={t.negate}
                      onChange={(e) => setTerm(i, { negate: e.currentTarget.checked })}
                    />{' '}
                    not
                  </label>
                  {terms.length > 1 && (
                    <button
                      type="button"
                      onClick={() => setTerms(terms.filter((_, j) => j !== i))}
                      aria-label={`Remove pattern ${i + 1}`}
                    >
                      Remove
                    </button>
                  )}
                </div>
                <p className="term-about">
                  {definition.description}{' '}
                  <a href={definition.paper.url} title={definition.paper.title}>
                    {definition.paper.authors} {definition.paper.year}
                  </a>
                </p>
                <fieldset className="controls term-options" aria-label={`Pattern ${i + 1} options`}>
                  {Object.entries(definition.options).map(([key, spec]) => (
                    <OptionControl
                      key={termParamKey(i, key)}
                      name={key}
                      spec={spec}
                      raw={t.values[key]}
                      onChange={(raw) => setValue(i, key, raw)}
                    />
                  ))}
                  {Object.keys(definition.options).length === 0 && <span>no options</span>}
                </fieldset>
              </li>
            );
          })}
        </ul>
        <button type="button" onClick={() => setTerms([...terms, ADDED_TERM])}>
          Add pattern
        </button>
        <SelectControl<'or' | 'and'>
          label="Combine with"
          value={op}
          options={[
            { value: 'or', label: 'or (union: orMasks)' },
            { value: 'and', label: 'and (intersection: andMasks)' },
          ]}
          onChange={setOp}
        />
        <div className="controls">
          <RangeControl label="Sequence length N" value={n} min={4} max={1024} onChange={setN} />
          <RangeControl label="Block size" value={blockSize} min={1} max={128} onChange={setBlockSize} />
          <RangeControl label="Random seed" value={seed} min={0} max={100} onChange={setSeed} />
        </div>
      </fieldset>
      {shownProblems.length > 0 && (
        <div role="alert" data-testid="mask-problems">
          {shownProblems.map((m) => (
            <p key={m}>{m}</p>
          ))}
        </div>
      )}
      {problems.length === 0 && (
        <>
          <TaskStatus state={task} onCancel={cancel} label="Building the mask" />
          {built !== undefined && (
            <>
              <dl className="stats" data-testid="mask-stats">
                <dt>density</dt>
                <dd data-testid="density">{formatNumber(built.density)}</dd>
                <dt>allowed pairs</dt>
                <dd data-testid="allowed">
                  {built.allowed} / {n * n}
                </dd>
                <dt>FLOPs saved (element-wise)</dt>
                <dd data-testid="flops-saved">{formatPercent(built.flopsSaved)}</dd>
                <dt>blocks skipped (block size {blockSize})</dt>
                <dd data-testid="block-sparsity">{formatPercent(built.blockSparsity)}</dd>
              </dl>
              <div className="row">
                <Heatmap
                  matrix={built.matrix}
                  label="Composed mask"
                  rowLabel="query"
                  columnLabel="key"
                  valueLabel="attended"
                  domain={[0, 1]}
                  scheme="cividis"
                  size={320}
                />
                <BlockGrid mask={built.blockMask} label="Block mask" size={320} />
              </div>
            </>
          )}
        </>
      )}
      <h2>Global vs local attention</h2>
      <GlobalLocalFigure
        length={windowN}
        onLengthChange={setWindowN}
        radius={windowRadius}
        onRadiusChange={setWindowRadius}
      />
    </section>
  );
}
