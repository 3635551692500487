import type { BackendName } from '@efficient-attention/backends';
import { SelectControl } from '@efficient-attention/figures';
import { useEffect } from 'react';
import { BACKENDS, selectBackend, useBackendState } from './backend-store.js';
import { setParam, useRoute, useStringParam, type View } from './url-state.js';
import { AttentionView } from './views/attention-view.js';
import { BackendView } from './views/backend-view.js';
import { BitNetView } from './views/bitnet-view.js';
import { ComplexityView } from './views/complexity-view.js';
import { EncodingsView } from './views/encodings-view.js';
import { MasksView } from './views/masks-view.js';

const TITLES: Readonly<Record<View, string>> = {
  encodings: 'Positional encodings',
  masks: 'Masks',
  attention: 'Attention',
  complexity: 'Complexity',
  bitnet: 'BitNet',
  backend: 'Backend',
};

const VIEWS_BY_NAME: Readonly<Record<View, () => React.JSX.Element>> = {
  encodings: EncodingsView,
  masks: MasksView,
  attention: AttentionView,
  complexity: ComplexityView,
  bitnet: BitNetView,
  backend: BackendView,
};

/** The playground: a nav of hash routes, the backend picker, and the current view. */
export function App() {
  const { view } = useRoute();
  const [backend] = useStringParam<BackendName>('backend', 'wasm', BACKENDS);
  const state = useBackendState();
  useEffect(() => selectBackend(backend), [backend]);
  useEffect(() => {
    document.title = `${TITLES[view]} · Efficient Attention playground`;
  }, [view]);
  const Current = VIEWS_BY_NAME[view];
  return (
    <>
      <header>
        <h1>Efficient Attention playground</h1>
        <nav aria-label="Views">
          <ul>
            {(Object.keys(TITLES) as View[]).map((v) => (
              <li key={v}>
                <a href={`#/${v}?backend=${backend}`} aria-current={v === view ? 'page' : undefined}>
                  {TITLES[v]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="backend-picker">
          <SelectControl<BackendName>
            label="Backend"
            value={backend}
            options={BACKENDS.map((b) => ({ value: b, label: b }))}
            onChange={(b) => setParam('backend', b)}
          />
          <span aria-live="polite" data-testid="backend-status">
            {state === undefined || state.status === 'initialising'
              ? `setting up ${backend}…`
              : state.status === 'ready'
                ? `${state.report.backend} ready (float${state.report.floatPrecision})`
                : `${state.backend} unavailable: ${state.message}`}
          </span>
        </div>
      </header>
      <main>
        <Current />
      </main>
    </>
  );
}
