import { type ReactNode, useId } from 'react';

/** Props of {@link RangeControl}. */
export interface RangeControlProps {
  label: string;
  value: number;
  min: number;
  max: number;
  step?: number;
  onChange: (value: number) => void;
  /** How the value is shown next to the slider. Default: the number. */
  format?: (value: number) => ReactNode;
}

/**
 * A labelled slider (keyboard operable: arrows, Page Up/Down, Home/End) with its value shown beside it.
 *
 * @example
 * ```tsx
 * <RangeControl label="Window radius" value={w} min={0} max={8} onChange={setW} />
 * ```
 */
export function RangeControl({ label, value, min, max, step = 1, onChange, format }: RangeControlProps) {
  const id = useId();
  return (
    <div className="ea-control">
      <label htmlFor={id}>{label}</label>{' '}
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        onChange={(e) => onChange(Number(e.currentTarget.value))}
      />{' '}
      <output htmlFor={id}>{format ? format(value) : value}</output>
    </div>
  );
}

/** Props of {@link SelectControl}. */
export interface SelectControlProps<T extends string> {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (value: T) => void;
}

/**
 * A labelled `<select>`.
 *
 * @example
 * ```tsx
 * <SelectControl label="Pattern" value={kind} options={[{ value: 'band', label: 'Band' }]} onChange={setKind} />
 * ```
 */
export function SelectControl<T extends string>({ label, value, options, onChange }: SelectControlProps<T>) {
  const id = useId();
  return (
    <div className="ea-control">
      <label htmlFor={id}>{label}</label>{' '}
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value as T)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
