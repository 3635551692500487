import { useCallback, useSyncExternalStore } from 'react';

/** The playground's views, one per hash route (`#/masks?n=32`). */
export const VIEWS = ['encodings', 'masks', 'attention', 'complexity', 'bitnet', 'backend'] as const;

/** One of {@link VIEWS}. */
export type View = (typeof VIEWS)[number];

/** The view and search parameters of a location hash such as `#/masks?n=32&radius=2`. */
export function parseHash(hash: string): { view: View; params: URLSearchParams } {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const view = (VIEWS as readonly string[]).includes(path) ? (path as View) : 'encodings';
  return { view, params: new URLSearchParams(query) };
}

/** The hash of a view with parameters. */
export function formatHash(view: View, params: URLSearchParams): string {
  const query = params.toString();
  return `#/${view}${query ? `?${query}` : ''}`;
}

function subscribe(callback: () => void): () => void {
  window.addEventListener('hashchange', callback);
  return () => window.removeEventListener('hashchange', callback);
}

const getHash = () => window.location.hash;

/**
 * The current view and its parameters from the location hash, re-rendering on every change. The hash
 * router keeps the static build working from any folder (no server rewrites).
 */
export function useRoute(): { view: View; params: URLSearchParams } {
  const hash = useSyncExternalStore(subscribe, getHash, () => '');
  return parseHash(hash);
}

/** Replaces one parameter of the current view's URL (no new history entry per slider step). */
export function setParam(key: string, value: string | undefined): void {
  setParams((params) => {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  });
}

/** Edits several parameters of the current view's URL at once (one history replacement, one render). */
export function setParams(update: (params: URLSearchParams) => void): void {
  const { view, params } = parseHash(window.location.hash);
  update(params);
  const next = formatHash(view, params);
  window.history.replaceState(null, '', next);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/**
 * A number kept in the URL: `[value, setValue]`, with `fallback` when the parameter is missing or not a
 * number (invalid values are clamped to `[min, max]`, so a shared link never breaks a view).
 */
export function useNumberParam(
  key: string,
  fallback: number,
  min = -Infinity,
  max = Infinity,
): [number, (v: number) => void] {
  const { params } = useRoute();
  const raw = params.get(key);
  const parsed = raw === null || raw.trim() === '' ? Number.NaN : Number(raw);
  const value = Number.isFinite(parsed) ? Math.min(max, Math.max(min, parsed)) : fallback;
  const set = useCallback((v: number) => setParam(key, String(v)), [key]);
  return [value, set];
}

/** A string kept in the URL, restricted to `allowed` values. */
export function useStringParam<T extends string>(
  key: string,
  fallback: T,
  allowed?: readonly T[],
): [T, (v: T) => void] {
  const { params } = useRoute();
  const raw = params.get(key);
  const value =
    raw !== null && (allowed === undefined || (allowed as readonly string[]).includes(raw))
      ? (raw as T)
      : fallback;
  const set = useCallback((v: T) => setParam(key, v), [key]);
  return [value, set];
}
