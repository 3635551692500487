import {
  formatNumber,
  Heatmap,
  Pending,
  RangeControl,
  SelectControl,
  useAsyncValue,
} from '@efficient-attention/figures';
import { useEffect, useState } from 'react';
import {
  type ExportedModelEntry,
  fetchModelsIndex,
  modelJsonUrl,
  parseTokens,
  REQUIRED_FAMILIES,
} from '../models-index.js';
import { setParam, useNumberParam, useRoute } from '../url-state.js';
import { TaskStatus } from './task-status.js';
import { useTask } from './use-task.js';

/** Families trained with a non-dense attention (the `sparse` one may be dense attention under a mask). */
const APPROXIMATE_FAMILIES: readonly string[] = ['sparse', 'adaptive', 'linear'];

/** The held-out sample of a character model as text. */
function decode(model: ExportedModelEntry): string {
  const vocabulary = typeof model.tokenizer.vocabulary === 'string' ? model.tokenizer.vocabulary : '';
  return model.exampleTokens.map((t) => vocabulary[t] ?? '').join('');
}

/** Longest token sequence the view sends (the maps are N × N per head and per mechanism). */
export const MAX_TOKENS = 256;

function MissingModels({ missing, reason }: { missing: readonly string[]; reason?: string }) {
  return (
    <div role="status" data-testid="models-missing" className="missing">
      <p>
        The Attention view runs the small models that <code>apps/experiments</code> trains and exports.
        Missing here: <strong data-testid="missing-families">{missing.join(', ')}</strong>
        {reason ? ` (${reason})` : ''}.
      </p>
      <p>
        Produce them with <code>pnpm experiments --preset quick</code> (it writes{' '}
        <code>results/quick/models/&lt;family&gt;/</code> and <code>results/quick/models/index.json</code>),
        then rebuild the playground (<code>pnpm --filter @efficient-attention/playground build</code>) or
        restart <code>pnpm playground</code>: the build copies the models next to the page.
      </p>
    </div>
  );
}

/** Attention: attention maps per head of the exported dense model and of its sparse, adaptive and linear approximations. */
export function AttentionView() {
  const index = useAsyncValue(() => fetchModelsIndex(window.location.href), []);
  const { params } = useRoute();
  const [span, setSpan] = useNumberParam('span', 8, 0, 256);
  const [ramp, setRamp] = useNumberParam('ramp', 4, 1, 64);
  const [radius, setRadius] = useNumberParam('radius', 4, 0, 256);
  const [features, setFeatures] = useNumberParam('m', 64, 4, 512);
  const [layer, setLayer] = useNumberParam('layer', 0, 0, 64);
  const [head, setHead] = useNumberParam('head', 0, 0, 64);
  const models = index.status === 'ready' && index.value.status === 'ready' ? index.value.models : [];
  const byFamily = new Map(models.map((m) => [m.family, m]));
  const missing = REQUIRED_FAMILIES.filter((f) => !byFamily.has(f));
  // Any exported model with dense attention can be the base the approximations reuse (the MQAR `dense`
  // model takes token ids; a character LM takes typed text).
  const bases = models.filter((m) => m.mechanism === 'dense' && !APPROXIMATE_FAMILIES.includes(m.family));
  const baseFamily = params.get('base') ?? (byFamily.has('dense') ? 'dense' : bases[0]?.family);
  const dense = bases.find((m) => m.family === baseFamily) ?? bases[0];
  const sample = dense
    ? dense.tokenizer.kind === 'characters'
      ? decode(dense)
      : dense.exampleTokens.join(', ')
    : '';
  const text = params.get('tokens') ?? sample;
  const [draft, setDraft] = useState(text);
  useEffect(() => setDraft(text), [text]);
  const parsed = dense ? parseTokens(text, dense.tokenizer) : undefined;
  const tooLong = parsed && 'tokens' in parsed && parsed.tokens.length > MAX_TOKENS;
  const { state, start, cancel } = useTask('attention');

  // Models trained with other mechanisms on the same task (same tokenizer) are shown beside the base.
  const trained = APPROXIMATE_FAMILIES.map((f) => byFamily.get(f)).filter(
    (m): m is ExportedModelEntry => m !== undefined && m.experiment === dense?.experiment,
  );
  const runKey = JSON.stringify({ text, span, ramp, radius, features, base: dense?.family });
  // biome-ignore lint/correctness/useExhaustiveDependencies: runKey lists every input of the run.
  useEffect(() => {
    if (!dense || !parsed || !('tokens' in parsed) || tooLong) return;
    start({
      denseUrl: modelJsonUrl(dense, window.location.href),
      trained: trained.map((m) => ({ family: m.family, url: modelJsonUrl(m, window.location.href) })),
      tokens: parsed.tokens,
      span,
      rampSize: ramp,
      radius,
      features,
    });
  }, [runKey]);

  if (index.status !== 'ready') return <Pending state={index} />;
  if (index.value.status === 'missing' || dense === undefined) {
    return (
      <section aria-labelledby="attention-title">
        <h2 id="attention-title">Attention</h2>
        <MissingModels
          missing={missing}
          {...(index.value.status === 'missing' ? { reason: index.value.reason } : {})}
        />
      </section>
    );
  }
  const result = state.status === 'done' ? state.value : undefined;
  const l = result ? Math.min(layer, result.layers - 1) : layer;
  const h = result ? Math.min(head, result.heads - 1) : head;

  return (
    <section aria-labelledby="attention-title">
      <h2 id="attention-title">Attention</h2>
      {missing.length > 0 && <MissingModels missing={missing} />}
      {bases.length > 1 && (
        <SelectControl
          label="Base model (dense attention)"
          value={dense.family}
          options={bases.map((m) => ({
            value: m.family,
            label: `${m.family} (${m.experiment}, ${m.variant})`,
          }))}
          onChange={(family) => {
            setParam('tokens', undefined);
            setParam('base', family);
          }}
        />
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setParam('tokens', draft);
        }}
      >
        <label htmlFor="tokens-input">
          {dense.tokenizer.kind === 'characters' ? 'Text' : 'Token ids'} (model: {dense.variant},{' '}
          {dense.experiment}; vocabulary {dense.tokenizer.vocabSize})
        </label>
        <textarea
          id="tokens-input"
          rows={2}
          cols={80}
          value={draft}
          onChange={(e) => setDraft(e.currentTarget.value)}
        />
        <button type="submit">Run</button>{' '}
        <button type="button" onClick={() => setParam('tokens', sample)}>
          Use the held-out sample
        </button>
      </form>
      {parsed && 'problem' in parsed && (
        <p role="alert" data-testid="token-problem">
          {parsed.problem}
        </p>
      )}
      {tooLong && (
        <p role="alert" data-testid="token-problem">
          {parsed && 'tokens' in parsed ? parsed.tokens.length : 0} tokens is more than this view runs (
          {MAX_TOKENS}).
        </p>
      )}
      <div className="controls">
        <RangeControl label="Adaptive span z" value={span} min={0} max={MAX_TOKENS} onChange={setSpan} />
        <RangeControl label="Span ramp R" value={ramp} min={1} max={32} onChange={setRamp} />
        <RangeControl
          label="Sparse window radius"
          value={radius}
          min={0}
          max={MAX_TOKENS}
          onChange={setRadius}
        />
        <RangeControl
          label="Performer features m"
          value={features}
          min={4}
          max={256}
          step={4}
          onChange={setFeatures}
        />
        {result && (
          <>
            <SelectControl
              label="Layer"
              value={String(l)}
              options={Array.from({ length: result.layers }, (_, i) => ({
                value: String(i),
                label: String(i),
              }))}
              onChange={(v) => setLayer(Number(v))}
            />
            <SelectControl
              label="Head"
              value={String(h)}
              options={Array.from({ length: result.heads }, (_, i) => ({
                value: String(i),
                label: String(i),
              }))}
              onChange={(v) => setHead(Number(v))}
            />
          </>
        )}
      </div>
      <TaskStatus state={state} onCancel={cancel} label="Attention" />
      {result && (
        <>
          <div className="row">
            {result.panels.map((p) => (
              <section key={p.name} aria-label={p.name} data-testid={`panel-${p.kind}`}>
                <h3>{p.name}</h3>
                <Heatmap
                  matrix={p.maps[l]![h]!}
                  label={`${p.name}, layer ${l}, head ${h}`}
                  rowLabel="query"
                  columnLabel="key"
                  valueLabel="weight"
                  domain={[0, 1]}
                  size={200}
                />
                <p>
                  {p.kind === 'trained' ? 'difference from the dense model' : 'error vs dense'}:{' '}
                  <strong data-testid="panel-error">{formatNumber(p.errors[l]![h]!)}</strong>
                </p>
              </section>
            ))}
          </div>
          <table data-testid="attention-errors">
            <caption>
              ‖A − A_dense‖_F / ‖A_dense‖_F per head, layer {l} (approximations reuse the dense model&apos;s
              weights)
            </caption>
            <thead>
              <tr>
                <th scope="col">mechanism</th>
                {Array.from({ length: result.heads }, (_, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: heads are positions.
                  <th key={i} scope="col">
                    head {i}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.panels.map((p) => (
                <tr key={p.name}>
                  <th scope="row">{p.name}</th>
                  {p.errors[l]!.map((e, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: heads are positions.
                    <td key={i}>{formatNumber(e)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
