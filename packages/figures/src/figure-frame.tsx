import type { ReactNode } from 'react';

/** Props of {@link FigureFrame}. */
export interface FigureFrameProps {
  /** The caption: what the figure shows, in one or two sentences. */
  caption: ReactNode;
  /** Controls, drawn above the figure body. */
  controls?: ReactNode;
  children: ReactNode;
  /** Extra class for page styling. */
  className?: string;
}

/**
 * The frame of every blog figure: an accessible `<figure>` with its controls, body and `<figcaption>`.
 *
 * @example
 * ```tsx
 * <FigureFrame caption="Masks of five patterns.">…</FigureFrame>
 * ```
 */
export function FigureFrame({ caption, controls, children, className }: FigureFrameProps) {
  return (
    <figure className={['ea-figure', className].filter(Boolean).join(' ')}>
      {controls !== undefined && <div className="ea-figure-controls">{controls}</div>}
      <div className="ea-figure-body">{children}</div>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

/** Props of {@link Pending}. */
export interface PendingProps {
  /** The computation's state. */
  state: { status: 'pending' } | { status: 'error'; error: Error } | { status: 'ready' };
}

/**
 * What a figure shows while its numbers are computed, or the error that stopped them, in the page.
 *
 * @example
 * ```tsx
 * {state.status !== 'ready' && <Pending state={state} />}
 * ```
 */
export function Pending({ state }: PendingProps) {
  if (state.status === 'error') {
    return (
      <p role="alert" className="ea-figure-error">
        {state.error.message}
      </p>
    );
  }
  if (state.status === 'pending') return <p aria-live="polite">Computing…</p>;
  return null;
}
