/** Escapes a cell for a GitHub-flavoured markdown table (pipes, newlines). */
function cell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A GitHub-flavoured markdown table.
 *
 * @example
 * ```ts
 * markdownTable(['a', 'b'], [['1', '2']]); // '| a | b |\n|---|---|\n| 1 | 2 |'
 * ```
 */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const [i, row] of rows.entries()) {
    if (row.length !== head.length) {
      throw new Error(`markdownTable: row ${i} has ${row.length} cells, the header has ${head.length}.`);
    }
  }
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}
