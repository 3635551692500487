import { type DependencyList, type RefObject, useEffect, useRef } from 'react';

/**
 * Mounts the element `render` builds (an Observable Plot chart) into the returned container in an effect,
 * replacing it when `deps` change; nothing is built during server-side rendering.
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
    host.replaceChildren(chart);
    return () => chart.remove();
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists what `render` reads.
  }, deps);
  return container;
}
