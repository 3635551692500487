import {
  BlockGrid,
  DEFAULT_PATTERN_PARAMS,
  formatNumber,
  formatPercent,
  GlobalLocalFigure,
  Heatmap,
  PATTERN_INFO,
  PATTERN_KINDS,
  type PatternKind,
  type PatternParams,
  patternProblem,
  RangeControl,
  SelectControl,
} from '@efficient-attention/figures';
import { useEffect } from 'react';
import { setParam, useNumberParam, useRoute, useStringParam } from '../url-state.js';
import { TaskStatus } from './task-status.js';
import { useTask } from './use-task.js';

/** Largest N the editor builds on the page (the N × N preview has N² cells). */
export const MAX_EDITOR_N = 1024;

/** A term of the composed mask: a pattern, possibly negated. */
interface Term {
  kind: PatternKind;
  negate: boolean;
}

function parseTerms(raw: string | null): Term[] {
  const terms = (raw ?? 'band,global')
    .split(',')
    .map((t) => ({ negate: t.startsWith('!'), kind: t.replace(/^!/, '') as PatternKind }))
    .filter((t) => (PATTERN_KINDS as readonly string[]).includes(t.kind));
  return terms.length > 0 ? terms : [{ kind: 'band', negate: false }];
}

function formatTerms(terms: readonly Term[]): string {
  return terms.map((t) => `${t.negate ? '!' : ''}${t.kind}`).join(',');
}

/** Masks: compose patterns with and/or/not, see the N × N mask, the block mask, density and FLOPs saved. */
export function MasksView() {
  const { params } = useRoute();
  const terms = parseTerms(params.get('terms'));
  const [op, setOp] = useStringParam<'or' | 'and'>('op', 'or', ['or', 'and']);
  const p: PatternParams = {
    n: useNumberParam('n', 32)[0],
    radius: useNumberParam('radius', DEFAULT_PATTERN_PARAMS.radius)[0],
    dilation: useNumberParam('dilation', DEFAULT_PATTERN_PARAMS.dilation)[0],
    globals: useNumberParam('globals', DEFAULT_PATTERN_PARAMS.globals)[0],
    random: useNumberParam('random', DEFAULT_PATTERN_PARAMS.random)[0],
    blockSize: useNumberParam('blockSize', DEFAULT_PATTERN_PARAMS.blockSize)[0],
    stride: useNumberParam('stride', DEFAULT_PATTERN_PARAMS.stride)[0],
    seed: useNumberParam('seed', DEFAULT_PATTERN_PARAMS.seed)[0],
  };
  const set = (key: keyof PatternParams) => (v: number) => setParam(key, String(v));
  const setTerms = (next: Term[]) => setParam('terms', formatTerms(next));
  const [windowN, setWindowN] = useNumberParam('wn', 16, 4, 48);
  const [windowRadius, setWindowRadius] = useNumberParam('wr', 2, 0, 64);

  const problems = [
    ...(p.n > MAX_EDITOR_N
      ? [
          `N = ${p.n} is more than this editor draws (${MAX_EDITOR_N}): its preview would have ${p.n * p.n} cells. Lower N.`,
        ]
      : []),
    ...(p.blockSize > p.n
      ? [`The block size (${p.blockSize}) is larger than N = ${p.n}: use at most ${p.n}.`]
      : []),
    ...terms.map((t) => patternProblem(t.kind, p)).filter((m): m is string => m !== undefined),
  ];
  const key = JSON.stringify({ terms, op, p });
  const { state: task, start, cancel } = useTask('masks');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` lists every input of the mask.
  useEffect(() => {
    if (problems.length === 0) start({ terms, op, params: p });
  }, [key]);
  const state = task.status === 'done' ? { status: 'ready' as const, value: task.value } : undefined;

  return (
    <section aria-labelledby="masks-title">
      <h2 id="masks-title">Masks</h2>
      <fieldset>
        <legend>Pattern editor</legend>
        <ul className="terms">
          {terms.map((t, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: terms are edited in place by position.
            <li key={i}>
              <SelectControl<PatternKind>
                label={`Pattern ${i + 1}`}
                value={t.kind}
                options={PATTERN_KINDS.map((k) => ({ value: k, label: PATTERN_INFO[k].title }))}
                onChange={(kind) => setTerms(terms.map((u, j) => (j === i ? { ...u, kind } : u)))}
              />
              <label>
                <input
                  type="checkbox"
                  checked={t.negate}
                  onChange={(e) =>
                    setTerms(terms.map((u, j) => (j === i ? { ...u, negate: e.currentTarget.checked } : u)))
                  }
                />{' '}
                not
              </label>{' '}
              {terms.length > 1 && (
                <button
                  type="button"
                  onClick={() => setTerms(terms.filter((_, j) => j !== i))}
                  aria-label={`Remove pattern ${i + 1}`}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => setTerms([...terms, { kind: 'random', negate: false }])}>
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
          <RangeControl label="Sequence length N" value={p.n} min={4} max={1024} onChange={set('n')} />
          <RangeControl label="Window radius" value={p.radius} min={0} max={256} onChange={set('radius')} />
          <RangeControl label="Dilation" value={p.dilation} min={1} max={16} onChange={set('dilation')} />
          <RangeControl label="Global tokens" value={p.globals} min={0} max={32} onChange={set('globals')} />
          <RangeControl
            label="Random keys per row"
            value={p.random}
            min={0}
            max={64}
            onChange={set('random')}
          />
          <RangeControl
            label="Block size"
            value={p.blockSize}
            min={1}
            max={128}
            onChange={set('blockSize')}
          />
          <RangeControl label="Stride" value={p.stride} min={1} max={64} onChange={set('stride')} />
          <RangeControl label="Random seed" value={p.seed} min={0} max={100} onChange={set('seed')} />
        </div>
      </fieldset>
      {problems.length > 0 ? (
        <div role="alert" data-testid="mask-problems">
          {problems.map((m) => (
            <p key={m}>{m}</p>
          ))}
        </div>
      ) : (
        <>
          <TaskStatus state={task} onCancel={cancel} label="Building the mask" />
          {state !== undefined && (
            <>
              <dl className="stats" data-testid="mask-stats">
                <dt>density</dt>
                <dd data-testid="density">{formatNumber(state.value.density)}</dd>
                <dt>allowed pairs</dt>
                <dd data-testid="allowed">
                  {state.value.allowed} / {p.n * p.n}
                </dd>
                <dt>FLOPs saved (element-wise)</dt>
                <dd data-testid="flops-saved">{formatPercent(state.value.flopsSaved)}</dd>
                <dt>blocks skipped (block size {p.blockSize})</dt>
                <dd data-testid="block-sparsity">{formatPercent(state.value.blockSparsity)}</dd>
              </dl>
              <div className="row">
                <Heatmap
                  matrix={state.value.matrix}
                  label="Composed mask"
                  rowLabel="query"
                  columnLabel="key"
                  valueLabel="attended"
                  domain={[0, 1]}
                  scheme="cividis"
                  size={320}
                />
                <BlockGrid mask={state.value.blockMask} label="Block mask" size={320} />
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
