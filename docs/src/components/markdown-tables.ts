import type { ResultTable } from '../plugins/experiment-results';

/** The pipe tables of a markdown file (for result files that carry no `table` in their JSON). */
export function markdownTables(markdown: string): ResultTable[] {
  const tables: ResultTable[] = [];
  let current: string[][] | null = null;
  for (const raw of markdown.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('|')) {
      current = null;
      continue;
    }
    const cells = line
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
    if (cells.every((c) => /^:?-{3,}:?$/.test(c))) continue;
    if (current === null) {
      current = [];
      tables.push({ head: cells, rows: current });
    } else {
      current.push(cells);
    }
  }
  return tables;
}
