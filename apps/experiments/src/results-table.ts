/**
 * A results table: typed records plus a column spec. Experiments build the records (numbers stay numbers);
 * only the results writer turns them into text, through each column's formatter.
 */

/** One column: its header and the text of its cell in a row (the column's formatter applied to its value). */
export interface Column<Row> {
  readonly header: string;
  // Method syntax on purpose: a table of specific rows is then a `ResultsTable<object>` for the writer.
  cell(row: Row): string;
}

/** Typed rows and the columns that show them. */
export interface ResultsTable<Row extends object = object> {
  readonly columns: readonly Column<Row>[];
  readonly rows: readonly Row[];
}

/** The table as text, the shape written to the results JSON, markdown and terminal. */
export interface TableCells {
  head: string[];
  rows: string[][];
}

/**
 * A column from a header, an accessor and a formatter (default `String`, for text fields).
 *
 * @example
 * ```ts
 * const accuracy = column('accuracy', (r: { accuracy: number }) => r.accuracy, formatPercent);
 * accuracy.cell({ accuracy: 0.5 }); // '50.0%'
 * ```
 */
export function column<Row, Value>(
  header: string,
  value: (row: Row) => Value,
  format: (value: Value) => string = String,
): Column<Row> {
  return { header, cell: (row) => format(value(row)) };
}

/**
 * The text of a table: headers and, per row, each column's cell.
 *
 * @example
 * ```ts
 * tableCells({ columns: [column('n', (r: { n: number }) => r.n)], rows: [{ n: 1 }] });
 * // { head: ['n'], rows: [['1']] }
 * ```
 */
export function tableCells<Row extends object>(table: ResultsTable<Row>): TableCells {
  return {
    head: table.columns.map((c) => c.header),
    rows: table.rows.map((row) => table.columns.map((c) => c.cell(row))),
  };
}
