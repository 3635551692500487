import type { OptionSpec } from '@efficient-attention/core';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OptionControl } from './option-control.js';

function renderControl(spec: OptionSpec, raw?: string) {
  const onChange = vi.fn();
  render(<OptionControl name="option" spec={spec} raw={raw} onChange={onChange} />);
  return { input: screen.getByLabelText('option') as HTMLInputElement | HTMLSelectElement, onChange };
}

describe('OptionControl', () => {
  afterEach(cleanup);

  it('draws the control each option type asks for', () => {
    const bounded = renderControl({ type: 'number', min: 0, max: 1, default: 0.5, description: 'd' });
    expect(bounded.input.getAttribute('type')).toBe('range');
    expect(bounded.input.value).toBe('0.5');
  });

  it('uses a number field for an unbounded number, with its minimum', () => {
    const { input, onChange } = renderControl(
      { type: 'number', integer: true, min: 0, description: 'd' },
      '3',
    );
    expect(input.getAttribute('type')).toBe('number');
    expect(input.getAttribute('min')).toBe('0');
    fireEvent.change(input, { target: { value: '5' } });
    expect(onChange).toHaveBeenCalledWith('5');
    fireEvent.change(input, { target: { value: '' } });
    expect(onChange).toHaveBeenLastCalledWith(undefined);
  });

  it('uses a checkbox for a boolean, a select for an enum and a text field for an integer list', () => {
    const bool = renderControl({ type: 'boolean', default: true, description: 'd' });
    expect((bool.input as HTMLInputElement).checked).toBe(true);
    fireEvent.click(bool.input);
    expect(bool.onChange).toHaveBeenCalledWith('false');
    cleanup();

    const choice = renderControl({ type: 'enum', values: ['a', 'b'], default: 'a', description: 'd' });
    expect(choice.input.tagName).toBe('SELECT');
    expect([...(choice.input as HTMLSelectElement).options].map((o) => o.value)).toEqual(['a', 'b']);
    cleanup();

    const list = renderControl({ type: 'integer-list', min: 0, default: [0, 1], description: 'd' });
    expect(list.input.getAttribute('type')).toBe('text');
    expect(list.input.value).toBe('0, 1');
  });
});
