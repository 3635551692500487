import { describe, expect, it } from 'vitest';
import { formatBytes, formatNumber, formatPercent, formatRatio, formatSpread, spreadOf } from './format.js';

describe('format', () => {
  it('formats numbers, shares, bytes and spreads', () => {
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(4.56789)).toBe('4.57');
    expect(formatNumber(1234.6)).toBe('1,235');
    expect(formatPercent(0.87312)).toBe('87.3%');
    expect(formatBytes(2048)).toBe('2 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3 MB');
    expect(formatSpread([0.5], formatPercent)).toBe('50.0%');
    expect(formatSpread([0.4, 0.6], formatPercent)).toBe('50.0% ± 14.1%');
  });

  it('formats ratios and per-seed spreads', () => {
    expect(formatRatio(2.456)).toBe('2.46×');
    expect(formatRatio(undefined)).toBe('—');
    expect(spreadOf(formatPercent)([0.4, 0.6])).toBe('50.0% ± 14.1%');
    expect(spreadOf(formatPercent)([])).toBe('—');
  });
});
