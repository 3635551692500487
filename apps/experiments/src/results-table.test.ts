import { describe, expect, it } from 'vitest';
import { formatBytes, formatPercent, formatRatio, spreadOf } from './format.js';
import { markdownTable } from './markdown-table.js';
import { column, type ResultsTable, tableCells } from './results-table.js';

interface Row {
  variant: string;
  n: number;
  accuracy: number[];
  speedUp: number | undefined;
  peakBytes: number | null;
}

const table: ResultsTable<Row> = {
  columns: [
    column('variant', (r) => r.variant),
    column('N', (r) => r.n),
    column('accuracy', (r) => r.accuracy, spreadOf(formatPercent)),
    column('speed-up', (r) => r.speedUp, formatRatio),
    column('peak', (r) => r.peakBytes, formatBytes),
  ],
  rows: [
    { variant: 'dense', n: 1024, accuracy: [0.5, 0.7], speedUp: 1, peakBytes: 3 * 1024 * 1024 },
    { variant: 'a | b', n: 2048, accuracy: [], speedUp: undefined, peakBytes: null },
  ],
};

describe('results table', () => {
  it('keeps numbers in the rows and formats them only through the columns', () => {
    expect(tableCells(table)).toEqual({
      head: ['variant', 'N', 'accuracy', 'speed-up', 'peak'],
      rows: [
        ['dense', '1024', '60.0% ± 14.1%', '1×', '3 MB'],
        ['a | b', '2048', '—', '—', '—'],
      ],
    });
    expect(table.rows[0]!.accuracy).toEqual([0.5, 0.7]);
  });

  it('writes the same markdown as the string table it replaces', () => {
    const { head, rows } = tableCells(table);
    expect(markdownTable(head, rows)).toBe(
      [
        '| variant | N | accuracy | speed-up | peak |',
        '|---|---|---|---|---|',
        '| dense | 1024 | 60.0% ± 14.1% | 1× | 3 MB |',
        '| a \\| b | 2048 | — | — | — |',
      ].join('\n'),
    );
  });
});
