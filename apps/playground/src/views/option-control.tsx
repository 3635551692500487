import type { OptionSpec } from '@efficient-attention/core';
import { useId } from 'react';
import { shownValue } from '../mask-terms.js';

/** Props of {@link OptionControl}. */
export interface OptionControlProps {
  /** The option key (the control's label). */
  name: string;
  spec: OptionSpec;
  /** The value as typed (`undefined`: not set, the default applies). */
  raw: string | undefined;
  /** Called with the new text, or `undefined` to go back to the default. */
  onChange: (raw: string | undefined) => void;
}

/**
 * The control an option schema asks for: a number is a slider when its range is bounded and a number field
 * otherwise, a boolean a checkbox, an enum a select, a string a text field and an integer list a text field
 * of comma-separated integers. The description is the hint; an option with a default shows it.
 *
 * @example
 * ```tsx
 * <OptionControl name="radius" spec={slidingWindowPattern.options.radius} raw="2" onChange={set} />
 * ```
 */
export function OptionControl({ name, spec, raw, onChange }: OptionControlProps) {
  const id = useId();
  const hint = `${spec.description}${spec.default === undefined ? '' : ` Default ${shownValue(spec, undefined) || '[]'}.`}`;
  const value = shownValue(spec, raw);
  const label = (
    <label htmlFor={id} title={hint}>
      {name}
    </label>
  );
  switch (spec.type) {
    case 'number': {
      const step = spec.integer ? 1 : 'any';
      // A slider always shows some value: only for a bounded option that has a default.
      const bounded = spec.min !== undefined && spec.max !== undefined && spec.default !== undefined;
      // An open interval (min, max) keeps the slider's ends one step inside it.
      const inset =
        spec.exclusive && bounded ? (spec.integer ? 1 : ((spec.max ?? 1) - (spec.min ?? 0)) / 100) : 0;
      return (
        <div className="ea-control">
          {label}{' '}
          <input
            id={id}
            type={bounded ? 'range' : 'number'}
            min={spec.min === undefined ? undefined : spec.min + inset}
            max={spec.max === undefined ? undefined : spec.max - inset}
            step={bounded && !spec.integer ? ((spec.max ?? 1) - (spec.min ?? 0)) / 100 : step}
            value={value}
            placeholder={bounded ? undefined : 'unset'}
            title={hint}
            onChange={(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}
          />
          {bounded && <output htmlFor={id}>{value === '' ? 'unset' : value}</output>}
        </div>
      );
    }
    case 'boolean':
      return (
        <div className="ea-control">
          <input
            id={id}
            type="checkbox"
            checked={value === 'true'}
            title={hint}
            onChange={(e) => onChange(String(e.currentTarget.checked))}
          />{' '}
          {label}
        </div>
      );
    case 'enum':
      return (
        <div className="ea-control">
          {label}{' '}
          <select
            id={id}
            value={value}
            title={hint}
            onChange={(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}
          >
            {spec.default === undefined && <option value="">unset</option>}
            {spec.values.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </div>
      );
    case 'string':
    case 'integer-list':
      return (
        <div className="ea-control">
          {label}{' '}
          <input
            id={id}
            type="text"
            value={value}
            inputMode={spec.type === 'integer-list' ? 'numeric' : undefined}
            placeholder={spec.type === 'integer-list' ? 'e.g. 0, 1' : 'unset'}
            title={hint}
            size={spec.type === 'integer-list' ? 16 : 12}
            onChange={(e) =>
              onChange(
                spec.type === 'string' && e.currentTarget.value === '' ? undefined : e.currentTarget.value,
              )
            }
          />
        </div>
      );
  }
}
