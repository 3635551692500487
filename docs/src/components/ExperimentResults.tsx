import results from '@generated/experiment-results/default/results.json';
import CodeBlock from '@theme/CodeBlock';
import type { ExperimentResults as Results, ResultTable } from '../plugins/experiment-results';
import { markdownTables } from './markdown-tables';

const data = results as Results;

function Table({ table, caption }: { table: ResultTable; caption: string }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="results-table" tabIndex={0} aria-label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {table.head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row) => (
            <tr key={row.join('\u0000')}>
              {row.map((cell, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: cells of a static row, never reordered
                <td key={j}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * Section 8 of post 2: every experiment apps/experiments wrote to `results/quick/`, read at build time, with
 * the command that reproduces it, its table, notes, plots and where it was measured.
 */
export default function ExperimentResults() {
  if (data.experiments.length === 0) {
    return <p>No result files were found in results/{data.preset}/ when this site was built.</p>;
  }
  return (
    <div className="experiment-results">
      {data.experiments.map((e) => {
        const tables = e.table ? [e.table] : e.markdown ? markdownTables(e.markdown) : [];
        return (
          <section key={e.name} data-experiment={e.name} aria-labelledby={`results-${e.name}`}>
            <h3 id={`results-${e.name}`}>
              <code>{e.name}</code>
            </h3>
            {e.description && <p>{e.description}</p>}
            <CodeBlock language="bash" title="Reproduce">
              {e.command}
            </CodeBlock>
            {tables.map((t) => (
              <Table key={t.head.join('|')} table={t} caption={`${e.name}, ${data.preset} preset`} />
            ))}
            {e.notes.length > 0 && (
              <ul>
                {e.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            )}
            {e.measured && <p className="results-measured">Measured on {e.measured}.</p>}
            {e.plots.map((p) => (
              <figure key={p.file} className="results-plot">
                <img src={p.src} alt={p.alt} loading="lazy" />
                <figcaption>
                  <code>
                    results/{data.preset}/{p.file}
                  </code>
                </figcaption>
              </figure>
            ))}
          </section>
        );
      })}
    </div>
  );
}
