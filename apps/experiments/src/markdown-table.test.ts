import { describe, expect, it } from 'vitest';
import { markdownTable } from './markdown-table.js';

describe('markdownTable', () => {
  it('renders a header, a separator and escaped rows', () => {
    expect(
      markdownTable(
        ['variant', 'accuracy'],
        [
          ['a|b', '0.5'],
          ['c\nd', '—'],
        ],
      ),
    ).toBe('| variant | accuracy |\n|---|---|\n| a\\|b | 0.5 |\n| c d | — |');
  });
  it('rejects ragged rows', () => {
    expect(() => markdownTable(['a', 'b'], [['1']])).toThrow(/row 0 has 1 cells, the header has 2/);
  });
});
