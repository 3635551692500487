import {
  blockLocalPattern,
  dilatedSlidingWindowPattern,
  globalTokensPattern,
  slidingWindowPattern,
} from '@efficient-attention/sparse-masks';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { SparsePatternFigure } from './sparse-pattern-figure.js';

describe('SparsePatternFigure', () => {
  it('shows the exact density of a radius-2 band over 16 tokens and updates it from the slider', async () => {
    render(<SparsePatternFigure initial={{ n: 16, radius: 2 }} />);
    const band = await screen.findByTestId(`pattern-${slidingWindowPattern.name}`);
    // Rows 0 and 15 see 3 keys, rows 1 and 14 see 4, the 12 others 5: 74 of 256 pairs.
    expect(within(band).getByTestId('density').textContent).toBe(String(Number((74 / 256).toPrecision(4))));
    expect(within(band).getByText('74 / 256')).toBeTruthy();
    expect(within(band).getByTestId('flops-saved').textContent).toBe(`${(100 * (1 - 74 / 256)).toFixed(2)}%`);

    fireEvent.change(screen.getByLabelText('Window radius'), { target: { value: '1' } });
    // Radius 1: 2 rows of 2 keys and 14 rows of 3 keys = 46 pairs.
    await screen.findByText('46 / 256');
    expect(
      within(screen.getByTestId(`pattern-${slidingWindowPattern.name}`)).getByTestId('density').textContent,
    ).toBe('0.1797');
  });

  it('counts global tokens exactly and explains an impossible window in the page', async () => {
    render(
      <SparsePatternFigure
        initial={{ n: 16, globals: 1, radius: 20 }}
        initialSelected={globalTokensPattern}
      />,
    );
    const global = await screen.findByTestId(`pattern-${globalTokensPattern.name}`);
    // One global token: its row (16) plus its column in the other 15 rows.
    expect(within(global).getByText('31 / 256')).toBeTruthy();
    expect(
      within(screen.getByTestId(`pattern-${slidingWindowPattern.name}`)).getByRole('alert').textContent,
    ).toMatch(/radius \(20\) reaches past the whole sequence of 16 tokens/);
  });

  it('shows the block mask of the selected pattern with its block counts', async () => {
    render(<SparsePatternFigure initial={{ n: 16, blockSize: 4 }} initialSelected={blockLocalPattern} />);
    const blocks = await screen.findByTestId('selected-block-mask');
    // Block-local with size 4 = block size: the 4 diagonal blocks are full, the 12 others skipped.
    expect(within(blocks).getByTestId('blocks-full').textContent).toBe('4');
    expect(within(blocks).getByTestId('blocks-empty').textContent).toBe('12');
    expect(within(blocks).getByTestId('block-sparsity').textContent).toBe('75.00%');
  });

  it('titles each pattern and cites its paper from its definition', async () => {
    render(<SparsePatternFigure initial={{ n: 16 }} />);
    const band = await screen.findByTestId(`pattern-${slidingWindowPattern.name}`);
    expect(within(band).getByRole('heading').textContent).toContain(slidingWindowPattern.title);
    const link = within(band).getByRole('link');
    expect(link.getAttribute('href')).toBe(slidingWindowPattern.paper.url);
    expect(link.textContent).toBe(`${slidingWindowPattern.paper.authors} ${slidingWindowPattern.paper.year}`);
  });

  it('shows the message of an option the definition rejects', async () => {
    render(<SparsePatternFigure initial={{ n: 16, dilation: 0 }} />);
    const dilated = await screen.findByTestId(`pattern-${dilatedSlidingWindowPattern.name}`);
    // The schema's rule (an integer ≥ 1), in createPatternMask's words.
    expect(within(dilated).getByRole('alert').textContent).toMatch(
      /`options\.dilation` must be an integer ≥ 1, received 0/,
    );
  });
});
