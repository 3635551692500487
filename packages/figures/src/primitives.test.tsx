import { createBlockMask, slidingWindow } from '@efficient-attention/sparse-masks';
import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { BlockGrid } from './block-grid.js';
import { blockStates } from './block-states.js';
import { categoricalColors, matrixExtent, sequentialColor } from './color-scale.js';
import { attentionCost, DEFAULT_COST_PARAMS, powersOfTwo } from './cost-models.js';
import { formatBytes, formatNumber, formatPercent } from './format-number.js';
import { Heatmap } from './heatmap.js';
import { Histogram } from './histogram.js';
import { LineChart } from './line-chart.js';

describe('Heatmap', () => {
  it('labels the image with its shape and shows the legend extent', () => {
    render(
      <Heatmap
        matrix={[
          [0, 0.5, 2],
          [1, 1, 1],
        ]}
        label="Test"
        rowLabel="query"
        columnLabel="key"
        caption="cap"
      />,
    );
    expect(screen.getByRole('img', { name: 'Test: 2 × 3 (query by key)' })).toBeTruthy();
    expect(screen.getByRole('img', { name: 'value: colour from 0 to 2' })).toBeTruthy();
    expect(screen.getByText('cap').tagName).toBe('FIGCAPTION');
  });
});

describe('BlockGrid and blockStates', () => {
  it('classifies a band into full, partial and empty blocks', () => {
    // Radius 1 over 8 tokens, blocks of 2: the 4 diagonal blocks are full, the 6 next to them partial.
    const mask = createBlockMask(slidingWindow({ radius: 1 }), 8, 8, { blockSize: 2 });
    expect(blockStates(mask).counts).toEqual({ full: 4, partial: 6, empty: 6 });
    render(<BlockGrid mask={mask} label="Band blocks" />);
    expect(screen.getByRole('img', { name: /4 × 4 blocks of 2; 4 full, 6 partial, 6 empty/ })).toBeTruthy();
    expect(screen.getByTestId('blocks-skipped').textContent).toBe('37.50%');
  });
});

describe('LineChart and Histogram', () => {
  it('draws Observable Plot SVGs with the data as a table', async () => {
    const { container } = render(
      <LineChart
        label="Cost"
        xLabel="N"
        yLabel="FLOPs"
        logX
        logY
        series={[{ name: 'dense', x: [1, 2, 4], y: [1, 4, 16] }]}
      />,
    );
    await waitFor(() => expect(container.querySelector('svg')).not.toBeNull());
    expect(screen.getAllByRole('cell').map((c) => c.textContent)).toEqual([
      'dense',
      '1',
      '1',
      'dense',
      '2',
      '4',
      'dense',
      '4',
      '16',
    ]);
    const histogram = render(<Histogram values={[0, 0, 1, 2]} label="Values" xLabel="v" bins={2} />);
    await waitFor(() => expect(histogram.container.querySelectorAll('rect').length).toBeGreaterThan(0));
    expect(screen.getByRole('img', { name: 'Values: histogram of 4 values' })).toBeTruthy();
  });

  it('leaves no aria-label on role-less SVG groups (axe aria-prohibited-attr)', async () => {
    const { container } = render(
      <LineChart
        label="Two series"
        xLabel="N"
        yLabel="ms"
        series={[
          { name: 'a', x: [1, 2], y: [1, 2] },
          { name: 'b', x: [1, 2], y: [2, 3] },
        ]}
        guides={[{ name: 'O(N)', x: [1, 2], y: [1, 2] }]}
      />,
    );
    const histogram = render(<Histogram values={[0, 1, 2]} label="Values" xLabel="v" bins={2} />);
    await waitFor(() => expect(container.querySelectorAll('svg path').length).toBeGreaterThan(0));
    await waitFor(() => expect(histogram.container.querySelectorAll('rect').length).toBeGreaterThan(0));
    expect(container.querySelectorAll('g').length).toBeGreaterThan(0);
    expect(document.querySelectorAll('svg g[aria-label]')).toHaveLength(0);
    expect(screen.getByRole('img', { name: 'Two series' })).toBeTruthy();
  });
});

describe('helpers', () => {
  it('formats numbers, percentages and bytes', () => {
    expect(formatNumber(0.2890625)).toBe('0.2891');
    expect(formatNumber(4194304)).toBe('4.194e+6');
    expect(formatPercent(0.25)).toBe('25.00%');
    expect(formatBytes(1028)).toBe('1.004 KiB');
  });

  it('builds colour scales from viridis/cividis and finds extents', () => {
    expect(sequentialColor([0, 1])(0)).toBe('#440154'); // viridis' first colour
    expect(categoricalColors(3)).toHaveLength(3);
    expect(
      matrixExtent([
        [1, Number.NaN],
        [-2, 3],
      ]),
    ).toEqual([-2, 3]);
  });

  it('has cost models with the right growth', () => {
    const p = DEFAULT_COST_PARAMS;
    const [a, b] = [attentionCost('dense', 1024, p).flops, attentionCost('dense', 2048, p).flops];
    expect(b / a).toBe(4);
    expect(attentionCost('performer', 2048, p).flops / attentionCost('performer', 1024, p).flops).toBe(2);
    // A window wider than the sequence costs what dense does.
    expect(attentionCost('block-sparse', 64, p).flops).toBe(attentionCost('dense', 64, p).flops);
    expect(powersOfTwo(6, 8)).toEqual([64, 128, 256]);
  });
});
