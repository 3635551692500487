import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { AdaptiveSpanFigure } from './adaptive-span-figure.js';

describe('AdaptiveSpanFigure', () => {
  it('keeps exactly the keys closer than z + R and follows the span slider', async () => {
    render(<AdaptiveSpanFigure length={32} initialSpan={8} initialRamp={4} />);
    // Query 31, causal: distances x < z + R = 12 keep a non-zero weight (m_z(x) = clamp((12 − x)/4, 0, 1)).
    expect((await screen.findByTestId('kept-keys')).textContent).toBe('12');
    expect(screen.getByTestId('trimmed-span').textContent).toBe('12');
    // m_z(z) = 1: the ramp starts at the span.
    expect(screen.getByTestId('ramp-at-span').textContent).toBe('1');

    fireEvent.change(screen.getByLabelText('Span z'), { target: { value: '2' } });
    await waitFor(() => expect(screen.getByTestId('kept-keys').textContent).toBe('6'));
    fireEvent.change(screen.getByLabelText('Ramp width R'), { target: { value: '1' } });
    await waitFor(() => expect(screen.getByTestId('kept-keys').textContent).toBe('3'));
    // An early query sees fewer keys than the span: query 1 keeps both of its keys.
    fireEvent.change(screen.getByLabelText('Query token'), { target: { value: '1' } });
    expect(screen.getByTestId('kept-keys').textContent).toBe('2');
  });
});
