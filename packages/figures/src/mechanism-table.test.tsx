import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { allMechanisms } from './mechanism-rows.js';
import { MechanismTable } from './mechanism-table.js';

describe('MechanismTable', () => {
  it('has one row per registered mechanism, with its declared capabilities, and filters by family', async () => {
    const registry = allMechanisms();
    render(<MechanismTable />);
    const table = await screen.findByTestId('mechanism-table');
    expect(within(table).getAllByRole('row')).toHaveLength(registry.names().length + 1);
    const dense = within(screen.getByTestId('mechanism-dense'))
      .getAllByRole('cell')
      .map((c) => c.textContent);
    expect(dense.slice(0, 5)).toEqual([
      'dense',
      'O(N²·d)',
      registry.get('dense').capabilities.memoryComplexity,
      'yes',
      'exact',
    ]);
    const linformer = within(screen.getByTestId('mechanism-linformer'))
      .getAllByRole('cell')
      .map((c) => c.textContent);
    // Linformer is non-causal (ARCHITECTURE.md); its accuracy cell follows the declared kind.
    expect(linformer[3]).toBe('no');
    const kind = registry.get('linformer').capabilities.accuracy.kind;
    expect(linformer[4]).toMatch(
      { exact: /^exact$/, approximate: /^approximate \(≤ /, different: /^different function$/ }[kind],
    );

    fireEvent.change(screen.getByLabelText('Family'), { target: { value: 'linear' } });
    const linear = registry
      .list()
      .filter((d) => d.capabilities.family === 'linear')
      .map((d) => d.name);
    const shown = within(screen.getByTestId('mechanism-table'))
      .getAllByRole('rowheader')
      .map((h) => h.textContent);
    expect(shown.sort()).toEqual(linear.sort());
  });
});
