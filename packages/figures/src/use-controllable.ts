import { useCallback, useState } from 'react';

/**
 * State a parent may control: with `value` given the figure shows it and reports changes through
 * `onChange` (e.g. to keep it in the page URL); without, the figure keeps its own state from `initial`.
 *
 * @example
 * ```ts
 * const [n, setN] = useControllable(props.length, 16, props.onLengthChange);
 * ```
 */
export function useControllable<T>(
  value: T | undefined,
  initial: T,
  onChange: ((value: T) => void) | undefined,
): [T, (value: T) => void] {
  const [own, setOwn] = useState(initial);
  const set = useCallback(
    (next: T) => {
      setOwn(next);
      onChange?.(next);
    },
    [onChange],
  );
  return [value ?? own, set];
}
