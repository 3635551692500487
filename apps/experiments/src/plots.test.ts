import { describe, expect, it } from 'vitest';
import { barChartSpec, lineChartSpec, renderSvg } from './plots.js';

describe('plots', () => {
  it('renders a log-log line chart with its title, axis titles and series to SVG', async () => {
    const data = [1024, 2048, 4096].flatMap((n) => [
      { series: 'dense', x: n, y: (n / 1024) ** 2 * 100 },
      { series: 'linear', x: n, y: (n / 1024) * 10 },
    ]);
    const spec = lineChartSpec(data, {
      title: 'Forward time vs N',
      xTitle: 'sequence length N',
      yTitle: 'median ms',
      xLog: true,
      yLog: true,
      logBase: 2,
      points: true,
    });
    expect((spec as { encoding?: { x?: unknown } }).encoding?.x).toMatchObject({
      scale: { type: 'log', base: 2 },
    });
    const svg = await renderSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['Forward time vs N', 'sequence length N', 'median ms', 'dense', 'linear']) {
      expect(svg).toContain(text);
    }
    // One line path per series.
    expect(svg.match(/aria-roledescription="line mark"/g)?.length).toBe(2);
  });

  it('renders a bar chart with one bar per label', async () => {
    const svg = await renderSvg(
      barChartSpec(
        [
          { label: 'dense', value: 0.9 },
          { label: 'sliding window', value: 0.1 },
        ],
        { title: 'MQAR accuracy', valueTitle: 'accuracy', domain: [0, 1] },
      ),
    );
    expect(svg).toContain('sliding window');
    expect(svg.match(/aria-roledescription="bar"/g)?.length).toBe(2);
  });
});
