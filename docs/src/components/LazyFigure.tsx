import useIsBrowser from '@docusaurus/useIsBrowser';
import {
  Component,
  type ComponentType,
  type ErrorInfo,
  lazy,
  type ReactNode,
  Suspense,
  useEffect,
  useRef,
  useState,
} from 'react';

type FigureModule = typeof import('@efficient-attention/figures');
type AnyFigure = ComponentType<Record<string, unknown>>;

/** The figures a page can embed: the blog's one-per-section figures from `@efficient-attention/figures`. */
export const FIGURE_NAMES = [
  'EncodingComparisonFigure',
  'GlobalLocalFigure',
  'SparsePatternFigure',
  'AdaptiveSpanFigure',
  'ComplexityFigure',
  'MechanismTable',
  'BitNetFigure',
] as const satisfies readonly (keyof FigureModule)[];

export type FigureName = (typeof FIGURE_NAMES)[number];

// One lazy component per figure; the figures package (and tfjs, which it loads on demand) is a separate
// chunk fetched only when the first figure on a page scrolls into view.
const lazyFigures = Object.fromEntries(
  FIGURE_NAMES.map((name) => [
    name,
    lazy(async () => {
      const figures = await import('@efficient-attention/figures');
      return { default: figures[name] as unknown as AnyFigure };
    }),
  ]),
) as unknown as Record<FigureName, AnyFigure>;

class FigureErrorBoundary extends Component<{ name: string; children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`Figure ${this.props.name} failed`, error, info.componentStack);
  }

  override render() {
    if (this.state.error) {
      return (
        <p role="alert" className="figure-placeholder">
          This figure could not load: {this.state.error.message}
        </p>
      );
    }
    return this.props.children;
  }
}

export interface LazyFigureProps {
  /** Which figure of `@efficient-attention/figures` to show. */
  figure: FigureName;
  /** What the figure shows, for the placeholder before it loads (and for screen readers). */
  label: string;
  /** Props passed to the figure. */
  props?: Record<string, unknown>;
  /** Height reserved before the figure loads, so the page does not jump. */
  minHeight?: number;
}

/**
 * Embeds a live figure that hydrates lazily: on the server and before it is near the viewport it is a light
 * placeholder; once it comes within 300px of the viewport its code is fetched and it renders.
 */
export default function LazyFigure({ figure, label, props = {}, minHeight = 360 }: LazyFigureProps) {
  const isBrowser = useIsBrowser();
  const ref = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);

  useEffect(() => {
    const element = ref.current;
    if (!element || visible) return undefined;
    if (typeof IntersectionObserver === 'undefined') {
      setVisible(true);
      return undefined;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setVisible(true);
          observer.disconnect();
        }
      },
      { rootMargin: '300px 0px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [visible]);

  const placeholder = (
    <div className="figure-placeholder" style={{ minHeight }}>
      <span>Interactive figure: {label}</span>
    </div>
  );
  const Figure = lazyFigures[figure];
  return (
    <div
      ref={ref}
      className="lazy-figure"
      data-lazy-figure={figure}
      data-visible={visible ? 'true' : 'false'}
    >
      {isBrowser && visible ? (
        <FigureErrorBoundary name={figure}>
          <Suspense fallback={placeholder}>
            <Figure {...props} />
          </Suspense>
        </FigureErrorBoundary>
      ) : (
        placeholder
      )}
    </div>
  );
}
