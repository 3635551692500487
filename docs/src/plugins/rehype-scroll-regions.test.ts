import { describe, expect, it } from 'vitest';
import rehypeScrollRegions from './rehype-scroll-regions';

type Node = {
  type: string;
  tagName?: string;
  value?: string;
  properties?: Record<string, unknown>;
  children?: Node[];
};
const el = (tagName: string, children: Node[] = []): Node => ({
  type: 'element',
  tagName,
  properties: {},
  children,
});
const txt = (value: string): Node => ({ type: 'text', value });

describe('rehypeScrollRegions', () => {
  it('wraps tables in focusable regions named after their heading, unique per page', () => {
    const tree = el('root', [
      el('table'),
      el('h2', [txt('Kernels '), el('code', [txt('wasm')])]),
      el('table'),
      el('table'),
      el('h2', [txt('More exports')]),
      el('table'),
    ]);
    rehypeScrollRegions()(tree as never);
    const regions = tree.children!.filter((c) => c.tagName === 'div');
    expect(regions.map((r) => r.properties)).toEqual([
      { className: ['scroll-region'], tabIndex: 0, role: 'region', ariaLabel: 'Table' },
      { className: ['scroll-region'], tabIndex: 0, role: 'region', ariaLabel: 'Table: Kernels wasm' },
      { className: ['scroll-region'], tabIndex: 0, role: 'region', ariaLabel: 'Table: Kernels wasm (2)' },
      { className: ['scroll-region'], tabIndex: 0, role: 'region', ariaLabel: 'Table: More exports' },
    ]);
    expect(regions.every((r) => r.children?.[0]?.tagName === 'table')).toBe(true);
  });
});
