import { type DependencyList, type RefObject, useEffect, useRef } from 'react';

/**
 * Mounts the element `render` builds (an Observable Plot chart) into the returned container in an effect,
 * replacing it when `deps` change; nothing is built during server-side rendering.
 *
 * Observable Plot names each mark and axis group `<g aria-label="line">` without a role, which ARIA
 * prohibits (axe `aria-prohibited-attr`); those names are removed here. The container carries the chart's
 * accessible name (`role="img"` with a label) and the charts offer their data as a table.
 *
 * @example
 * ```tsx
 * const ref = usePlot(() => Plot.plot({ marks: [Plot.line(data)] }), [data]);
 * return <div ref={ref} />;
 * ```
 */
export function usePlot(render: () => Element, deps: DependencyList): RefObject<HTMLDivElement | null> {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = container.current;
    if (!host) return;
    const chart = render();
    for (const group of chart.querySelectorAll('g[aria-label]')) group.removeAttribute('aria-label');
    host.replaceChildren(chart);
    return () => chart.remove();
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists what `render` reads.
  }, deps);
  return container;
}
