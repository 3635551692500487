/**
 * Makes the page's horizontally scrollable blocks reachable by keyboard (axe: scrollable-region-focusable):
 * every table is wrapped in a focusable, labelled region that scrolls, and display math (KaTeX) becomes
 * focusable. Runs after rehype-katex. Each region is named after the heading above its table ("Table:
 * Decoding"), numbered when a page would repeat a name, so that landmarks stay unique (axe: landmark-unique).
 */
interface HastNode {
  type: string;
  tagName?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
}

function classes(node: HastNode): string[] {
  const c = node.properties?.className;
  return Array.isArray(c) ? c.map(String) : typeof c === 'string' ? c.split(' ') : [];
}

function text(node: HastNode): string {
  if (node.type === 'text') return String((node as { value?: unknown }).value ?? '');
  return (node.children ?? []).map(text).join('');
}

interface Labels {
  heading: string | undefined;
  used: Map<string, number>;
}

function regionLabel(labels: Labels): string {
  const base = labels.heading ? `Table: ${labels.heading}` : 'Table';
  const n = (labels.used.get(base) ?? 0) + 1;
  labels.used.set(base, n);
  return n === 1 ? base : `${base} (${n})`;
}

function transform(node: HastNode, labels: Labels): void {
  const children = node.children;
  if (!children) return;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (child.type === 'element' && /^h[1-6]$/.test(child.tagName ?? '')) {
      labels.heading = text(child).trim() || labels.heading;
      continue;
    }
    if (child.type === 'element' && child.tagName === 'table') {
      children[i] = {
        type: 'element',
        tagName: 'div',
        properties: {
          className: ['scroll-region'],
          tabIndex: 0,
          role: 'region',
          ariaLabel: regionLabel(labels),
        },
        children: [child],
      };
      transform(child, labels);
      continue;
    }
    if (child.type === 'element' && classes(child).includes('katex-display')) {
      child.properties = { ...child.properties, tabIndex: 0 };
      continue;
    }
    transform(child, labels);
  }
}

export default function rehypeScrollRegions() {
  return (tree: HastNode) => transform(tree, { heading: undefined, used: new Map() });
}
