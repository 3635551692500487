import {
  linearPositionDefinition,
  ropeDefinition,
  sinusoidalDefinition,
} from '@efficient-attention/encodings';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { EncodingComparisonFigure } from './encoding-comparison-figure.js';
import { formatNumber } from './format-number.js';

/** Σ_i cos(k·ω_i), ω_i = 10000^(−2i/d): ⟨PE(0), PE(k)⟩ of the sinusoidal encoding (Vaswani et al. 2017, §3.5). */
function sinusoidalDot(k: number, d: number): number {
  let sum = 0;
  for (let i = 0; i < d / 2; i++) sum += Math.cos(k * 10000 ** ((-2 * i) / d));
  return sum;
}

function cells(definition: { name: string }): string[] {
  return within(screen.getByTestId(`curve-${definition.name}`))
    .getAllByRole('cell')
    .map((c) => c.textContent ?? '');
}

describe('EncodingComparisonFigure', () => {
  it('shows the closed-form dot products and follows the width slider', async () => {
    render(<EncodingComparisonFigure initialLength={16} initialDim={16} />);
    await screen.findByTestId(`curve-${sinusoidalDefinition.name}`);
    expect(cells(sinusoidalDefinition)).toEqual([
      formatNumber(8),
      formatNumber(sinusoidalDot(1, 16)),
      formatNumber(sinusoidalDot(15, 16)),
    ]);
    // RoPE of the all-ones vector: Σ_i 2cos(k·θ_i), 16 at k = 0; the linear encoding of position 0 is zero.
    expect(cells(ropeDefinition)[0]).toBe('16');
    expect(cells(linearPositionDefinition)).toEqual(['0', '0', '0']);
    expect(screen.getAllByRole('img', { name: /encoding matrix: 16 × 16/ })).toHaveLength(4);
    // Rows are titled by the definitions.
    expect(screen.getByRole('rowheader', { name: ropeDefinition.title })).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Width d'), { target: { value: '32' } });
    await screen.findAllByRole('img', { name: /encoding matrix: 16 × 32/ });
    expect(cells(sinusoidalDefinition)[1]).toBe(formatNumber(sinusoidalDot(1, 32)));
    expect(cells(ropeDefinition)[0]).toBe('32');
  });

  it('applies position interpolation to RoPE: distance k behaves like k / factor', async () => {
    render(<EncodingComparisonFigure initialLength={16} initialDim={16} />);
    await screen.findByTestId(`curve-${ropeDefinition.name}`);
    const plainAt2 = cells(ropeDefinition)[1];
    fireEvent.change(screen.getByLabelText('RoPE scaling'), { target: { value: 'linear' } });
    fireEvent.change(screen.getByLabelText('Scaling factor'), { target: { value: '2' } });
    // Σ_i 2cos(θ_i / 2) at k = 1 under PI with factor 2.
    let expected = 0;
    for (let i = 0; i < 8; i++) expected += 2 * Math.cos(0.5 * 10000 ** ((-2 * i) / 16));
    await waitFor(() => expect(cells(ropeDefinition)[1]).toBe(formatNumber(expected)));
    expect(cells(ropeDefinition)[1]).not.toBe(plainAt2);
  });

  it('compares every additive and rotary encoding of the catalogue, in its order', async () => {
    const { builtinEncodings } = await import('@efficient-attention/all');
    const { COMPARED_ENCODINGS } = await import('./encoding-figure-data.js');
    expect(COMPARED_ENCODINGS.map((d) => d.name)).toEqual(
      builtinEncodings.filter((d) => ['additive', 'rotary'].includes(d.capabilities.kind)).map((d) => d.name),
    );
    expect(COMPARED_ENCODINGS).toContain(ropeDefinition);
    expect(COMPARED_ENCODINGS).toContain(sinusoidalDefinition);
  });
});
