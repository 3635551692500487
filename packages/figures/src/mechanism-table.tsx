import { useState } from 'react';
import { SelectControl } from './controls.js';
import { FigureFrame, Pending } from './figure-frame.js';
import type { MechanismRow } from './mechanism-rows.js';
import { useAsyncValue } from './use-async-value.js';

/** Props of {@link MechanismTable}. */
export interface MechanismTableProps {
  /** Rows to show instead of the registry of every package (e.g. rows computed at build time). */
  rows?: readonly MechanismRow[];
  /** Initial family filter. Default 'all'. */
  initialFamily?: string;
}

/**
 * Section 6 of the blog: the comparative table of attention mechanisms — family, time and memory
 * complexity, causal support, exact or approximate, paper — generated from the capabilities each
 * mechanism declares in the registry (xformers-style), never written by hand.
 *
 * @example
 * ```tsx
 * <MechanismTable initialFamily="linear" />
 * ```
 */
export function MechanismTable({ rows, initialFamily = 'all' }: MechanismTableProps) {
  const [family, setFamily] = useState(initialFamily);
  const state = useAsyncValue(async () => {
    if (rows !== undefined) return [...rows];
    const { allMechanisms, mechanismRows } = await import('./mechanism-rows.js');
    return mechanismRows(allMechanisms());
  }, [rows]);
  const families = state.status === 'ready' ? [...new Set(state.value.map((r) => r.family))] : [];
  const shown =
    state.status === 'ready' ? state.value.filter((r) => family === 'all' || r.family === family) : [];

  return (
    <FigureFrame
      className="ea-mechanism-table"
      caption="Attention mechanisms of this repository, from the capabilities each one registers. N is the sequence length, d the head width."
      controls={
        <SelectControl
          label="Family"
          value={family}
          options={[
            { value: 'all', label: 'all families' },
            ...families.map((f) => ({ value: f, label: f })),
          ]}
          onChange={setFamily}
        />
      }
    >
      <Pending state={state} />
      {state.status === 'ready' && (
        <table data-testid="mechanism-table">
          <thead>
            <tr>
              <th scope="col">mechanism</th>
              <th scope="col">family</th>
              <th scope="col">time</th>
              <th scope="col">memory</th>
              <th scope="col">causal masking</th>
              <th scope="col">vs dense</th>
              <th scope="col">paper</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.name} data-testid={`mechanism-${r.name}`}>
                <th scope="row" title={r.description}>
                  {r.name}
                </th>
                <td>{r.family}</td>
                <td>{r.timeComplexity}</td>
                <td>{r.memoryComplexity}</td>
                <td>{r.causal ? 'yes' : 'no'}</td>
                <td title={r.accuracyNote}>{r.accuracy}</td>
                <td>
                  <a href={r.paper}>{r.citation}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </FigureFrame>
  );
}
