import { describe, expect, it } from 'vitest';
import { getPreset, PRESETS, validatePreset } from './presets.js';

describe('presets', () => {
  it('both presets validate, and quick is smaller than full everywhere', () => {
    for (const p of Object.values(PRESETS)) expect(validatePreset(p)).toBe(p);
    const { quick, full } = PRESETS;
    expect(quick.mqar.training.steps).toBeLessThan(full.mqar.training.steps);
    expect(Math.max(...quick.inferenceScaling.lengths)).toBe(4096);
    expect(Math.max(...full.inferenceScaling.lengths)).toBe(16384);
    expect(quick.attentionKernels.lengths.every((n) => full.attentionKernels.lengths.includes(n))).toBe(true);
  });

  it('every MQAR preset puts answers beyond the reach of its local variants', () => {
    for (const p of Object.values(PRESETS)) {
      const reach = p.model.numLayers * 8;
      expect(p.mqar.task.minGap).toBeGreaterThan(reach);
    }
  });

  it('rejects a preset whose sliding window could see the answers, with a sentence', () => {
    const quick = PRESETS.quick;
    const broken = { ...quick, mqar: { ...quick.mqar, task: { ...quick.mqar.task, minGap: 16 } } };
    expect(() => validatePreset(broken)).toThrow(
      /`quick.mqar.task.minGap` must be greater than numLayers × radius = 16 \(the reach of "sliding window"\)/,
    );
    const heads = { ...quick, model: { ...quick.model, numHeads: 3 } };
    expect(() => validatePreset(heads)).toThrow(/`quick.model.dModel` must be a multiple of numHeads \(3\)/);
  });

  it('looks presets up by name', () => {
    expect(getPreset('full').name).toBe('full');
    expect(() => getPreset('fast')).toThrow(/`--preset` must be one of quick, full, received "fast"/);
  });
});
