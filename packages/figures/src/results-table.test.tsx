import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ResultsTable } from './results-table.js';

const rows = [
  { implementation: 'dense', n: 256, medianMs: 29.881722999999965 },
  { implementation: 'memory-efficient', n: 256, medianMs: 18.39780800000017 },
  { implementation: 'dense', n: 512, medianMs: 42.330907000000025 },
];

describe('ResultsTable', () => {
  it('renders the rows with formatted numbers and sorts a column numerically', () => {
    render(<ResultsTable rows={rows} caption="quick" />);
    const firstColumn = () =>
      screen
        .getAllByRole('row')
        .slice(1)
        .map((r) => r.querySelectorAll('td')[2]?.textContent);
    expect(firstColumn()).toEqual(['29.88', '18.4', '42.33']);
    fireEvent.click(screen.getByRole('button', { name: 'medianMs' }));
    expect(firstColumn()).toEqual(['18.4', '29.88', '42.33']);
    fireEvent.click(screen.getByRole('button', { name: 'medianMs' }));
    expect(firstColumn()).toEqual(['42.33', '29.88', '18.4']);
    expect(screen.getByRole('columnheader', { name: 'medianMs' }).getAttribute('aria-sort')).toBe(
      'descending',
    );
  });
});
