import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ComplexityFigure } from './complexity-figure.js';
import { formatNumber } from './format-number.js';

function row(mechanism: string): string[] {
  return within(screen.getByTestId(`cost-${mechanism}`))
    .getAllByRole('cell')
    .map((c) => c.textContent ?? '');
}

describe('ComplexityFigure', () => {
  it('reads out the cost models and follows the controls', () => {
    render(<ComplexityFigure />);
    // N = 4096, d = 64: dense 4·N²·d; window 129 keys: 4·N·129·d; linear 4·N·d².
    expect(row('dense')[0]).toBe(formatNumber(4 * 4096 * 4096 * 64));
    expect(row('block-sparse')).toEqual([formatNumber(4 * 4096 * 129 * 64), formatNumber(4096 / 129)]);
    expect(row('linear-elu')[0]).toBe(formatNumber(4 * 4096 * 64 * 64));
    fireEvent.change(screen.getByLabelText('Readout at N'), { target: { value: '10' } });
    expect(row('dense')[0]).toBe(formatNumber(4 * 1024 * 1024 * 64));
    fireEvent.change(screen.getByLabelText('Quantity'), { target: { value: 'memory' } });
    expect(row('dense')[0]).toBe(formatNumber(1024 * 1024));
    expect(row('linformer')).toEqual([formatNumber(1024 * 256), '4']);
  });

  it('measures every mechanism in the page on the active backend', async () => {
    render(
      <ComplexityFigure
        measureLengths={[16, 32]}
        repeats={1}
        initial={{ headDim: 16, projectedLength: 16 }}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Measure in this browser' }));
    await waitFor(
      () =>
        expect(screen.getByTestId('measure-status').textContent).toMatch(
          /10 measurements on the cpu backend/,
        ),
      {
        timeout: 60_000,
      },
    );
    const rows = within(screen.getByTestId('measured-table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(10);
    for (const r of rows) {
      const [n, ms] = within(r)
        .getAllByRole('cell')
        .map((c) => c.textContent ?? '');
      expect(['16', '32']).toContain(n);
      expect(Number(ms)).toBeGreaterThan(0);
    }
  });
});
