// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveSpanFigure,
  BitNetFigure,
  ComplexityFigure,
  EncodingComparisonFigure,
  GlobalLocalFigure,
  MechanismTable,
  SparsePatternFigure,
} from './index.js';

// Docusaurus renders pages in Node: no window, no canvas, no tfjs during render.
describe('server-side rendering', () => {
  it('renders every section figure without a DOM', () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const figures = [
      <EncodingComparisonFigure key="1" />,
      <GlobalLocalFigure key="2" />,
      <SparsePatternFigure key="3" />,
      <AdaptiveSpanFigure key="4" />,
      <ComplexityFigure key="5" />,
      <MechanismTable key="6" />,
      <BitNetFigure key="7" />,
    ];
    for (const figure of figures) {
      const html = renderToString(figure);
      expect(html).toMatch(/^<figure class="ea-figure/);
      expect(html).toContain('<figcaption>');
    }
  });

  it('renders the cost model numbers on the server already', () => {
    // 4·4096²·64 FLOPs of dense attention at the default readout N = 4096.
    expect(renderToString(<ComplexityFigure />)).toContain('4.295e+9');
  });
});
