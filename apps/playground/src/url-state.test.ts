import { describe, expect, it } from 'vitest';
import { capacityProblem } from './capacity.js';
import { formatHash, parseHash } from './url-state.js';

describe('hash routes', () => {
  it('parses and formats a view with its parameters', () => {
    const { view, params } = parseHash('#/masks?n=32&terms=sliding-window,!global-tokens&1.radius=2');
    expect(view).toBe('masks');
    expect(params.get('terms')).toBe('sliding-window,!global-tokens');
    expect(params.get('1.radius')).toBe('2');
    expect(formatHash(view, params)).toBe('#/masks?n=32&terms=sliding-window%2C%21global-tokens&1.radius=2');
    expect(parseHash('#/nowhere').view).toBe('encodings');
  });
});

describe('capacityProblem', () => {
  it('explains tensors a backend cannot hold', () => {
    expect(capacityProblem('dense', 8192, 0, undefined)).toBeUndefined();
    expect(capacityProblem('dense', 16384, 0, undefined)).toMatch(/needs a 1024 MiB tensor/);
    const webgl = { backend: 'webgl', maxTextureSize: 4096 } as Parameters<typeof capacityProblem>[3];
    expect(capacityProblem('dense', 8192, 0, webgl)).toMatch(
      /8192 × 8192 score texture; this WebGL allows 4096/,
    );
    expect(capacityProblem('block-sparse', 8192, 16, webgl)).toBeUndefined();
  });
});
