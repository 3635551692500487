import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { GlobalLocalFigure } from './global-local-figure.js';

describe('GlobalLocalFigure', () => {
  it('counts the pairs of a radius-2 window over 16 tokens and moves the window', async () => {
    render(<GlobalLocalFigure />);
    // 2·3 + 2·4 + 12·5 = 74 pairs of 256.
    expect((await screen.findByTestId('local-pairs')).textContent).toBe('74');
    expect(screen.getByTestId('local-density').textContent).toBe('28.91%');
    expect(screen.getByTestId('window-readout').textContent).toMatch(/Query 0 attends keys 0–2 \(3 keys\)/);
    fireEvent.change(screen.getByLabelText('Query position'), { target: { value: '7' } });
    expect(screen.getByTestId('window-readout').textContent).toMatch(/Query 7 attends keys 5–9 \(5 keys\)/);
    fireEvent.change(screen.getByLabelText('Window radius w'), { target: { value: '3' } });
    // 4 + 5 + 6 keys in the three rows at each edge, 7 in the 10 middle rows: 30 + 70 = 100.
    await screen.findByText('100');
  });

  it('moves the window by itself when playing', async () => {
    render(<GlobalLocalFigure stepMs={50} />);
    await screen.findByTestId('local-pairs');
    vi.useFakeTimers();
    try {
      fireEvent.click(screen.getByRole('button', { name: 'Play moving window' }));
      act(() => vi.advanceTimersByTime(160));
      expect(screen.getByTestId('window-readout').textContent).toMatch(/Query 3 attends keys 1–5/);
      fireEvent.click(screen.getByRole('button', { name: 'Pause moving window' }));
    } finally {
      vi.useRealTimers();
    }
  });

  it('can be controlled by the page (e.g. URL state)', async () => {
    const onRadiusChange = vi.fn();
    const { rerender } = render(<GlobalLocalFigure length={16} radius={1} onRadiusChange={onRadiusChange} />);
    // Radius 1: 2 edge rows of 2 keys, 14 rows of 3 = 46 pairs.
    expect((await screen.findByTestId('local-pairs')).textContent).toBe('46');
    fireEvent.change(screen.getByLabelText('Window radius w'), { target: { value: '2' } });
    expect(onRadiusChange).toHaveBeenCalledWith(2);
    rerender(<GlobalLocalFigure length={16} radius={2} onRadiusChange={onRadiusChange} />);
    await waitFor(() => expect(screen.getByTestId('local-pairs').textContent).toBe('74'));
  });

  it('explains a window wider than the sequence instead of drawing it', async () => {
    render(<GlobalLocalFigure initialLength={8} initialRadius={9} />);
    expect(screen.getByRole('alert').textContent).toMatch(/radius 9 covers the whole 8-token sequence/);
  });
});
