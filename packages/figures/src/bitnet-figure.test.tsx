import { createRandom } from '@efficient-attention/core';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { BitNetFigure } from './bitnet-figure.js';
import { formatPercent } from './format-number.js';

function cells(testId: string): string[] {
  return within(screen.getByTestId(testId))
    .getAllByRole('cell')
    .map((c) => c.textContent ?? '');
}

/** Share of ternary zeros computed here in float64: |w| / mean|w| < 0.5 (BitNet b1.58, eq. 1–3). */
function ternaryZeroShare(size: number, seed: number, std: number): number {
  const w = createRandom(seed).normalArray(size * size, std);
  const gamma = Array.from(w).reduce((s, x) => s + Math.abs(x), 0) / w.length;
  return Array.from(w).filter((x) => Math.abs(x) / gamma < 0.5).length / w.length;
}

describe('BitNetFigure', () => {
  it('shows the exact bytes of fp32 against 2-bit packing and the ternary zero share', async () => {
    render(<BitNetFigure initialSize={64} />);
    await screen.findByTestId('bytes');
    // 4096 weights: 16 KiB as float32; 64 rows of 4 words (16 B) + a 4-byte scale = 1028 B packed.
    expect(cells('bytes-fp32')).toEqual(['16 KiB', '32']);
    expect(cells('bytes-i2s')).toEqual(['1.004 KiB', String(Number(((8 * 1028) / 4096).toPrecision(4)))]);
    expect(cells('counts-ternary')[1]).toBe(formatPercent(ternaryZeroShare(64, 0, 0.02)));
    // Binary weights are never 0.
    expect(cells('counts-binary')[1]).toBe('0.00%');

    fireEvent.change(screen.getByLabelText('Matrix size'), { target: { value: '32' } });
    await waitFor(() => expect(cells('bytes-fp32')[0]).toBe('4 KiB'));
    // 32 rows of 2 words (8 B) + 4 = 260 B.
    expect(cells('bytes-i2s')[0]).toBe('260 B');
    expect(cells('counts-ternary')[1]).toBe(formatPercent(ternaryZeroShare(32, 0, 0.02)));
  });
});
