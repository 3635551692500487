/**
 * A citation: what the docs' reference lists, the generated tables and the playground print for a
 * definition (mechanism, encoding, mask pattern).
 *
 * @example
 * ```ts
 * const longformer: PaperReference = {
 *   title: 'Longformer: The Long-Document Transformer', authors: 'Beltagy, Peters, Cohan', year: 2020,
 *   venue: 'arXiv', url: 'https://arxiv.org/abs/2004.05150',
 * };
 * ```
 */
export interface PaperReference {
  readonly title: string;
  /** Authors as printed in a reference list: `Beltagy, Peters, Cohan` or `Zaheer et al.`. */
  readonly authors: string;
  readonly year: number;
  /** Where it appeared: `NeurIPS`, `ICLR`, `arXiv`… */
  readonly venue?: string;
  /** A stable link (an arXiv abstract where there is one). */
  readonly url: string;
}

/**
 * Freezes a {@link PaperReference}.
 *
 * @example
 * ```ts
 * const vaswani = paper('Attention Is All You Need', 'Vaswani et al.', 2017, 'https://arxiv.org/abs/1706.03762', 'NeurIPS');
 * ```
 */
export function paper(
  title: string,
  authors: string,
  year: number,
  url: string,
  venue?: string,
): PaperReference {
  return Object.freeze({ title, authors, year, url, ...(venue === undefined ? {} : { venue }) });
}
