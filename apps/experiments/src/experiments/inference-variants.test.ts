import { builtinMechanisms } from '@efficient-attention/all';
import { denseMechanism } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../presets.js';
import { inferenceScalingExperiment, inferenceVariants } from './inference-scaling.js';

describe('inference scaling times what the catalogue opts in', () => {
  it('takes every definition with a benchmark capability, minus the preset’s skip list', () => {
    const optedIn = builtinMechanisms.filter((d) => d.benchmark !== undefined).map((d) => d.name);
    expect(inferenceVariants(PRESETS.full).map((v) => v.mechanism)).toEqual(optedIn);
    // The mechanisms (and configs) the experiment timed before the catalogue.
    expect(optedIn.sort()).toEqual(['block-sparse', 'dense', 'linear-elu', 'memory-efficient', 'performer']);
    expect(inferenceVariants(PRESETS.quick).map((v) => v.mechanism)).not.toContain('memory-efficient');
    const sparse = inferenceVariants(PRESETS.full).find((v) => v.mechanism === 'block-sparse')!;
    expect(sparse.config(4096)).toEqual({ pattern: 'sliding-window', radius: 64, blockSize: 64 });
    expect(
      inferenceVariants(PRESETS.full)
        .find((v) => v.mechanism === 'performer')!
        .config(4096),
    ).toEqual({
      numFeatures: 64,
    });
    expect(inferenceVariants(PRESETS.full)[0]!.label).toBe(denseMechanism.title);
  });

  it('stops an O(N²) mechanism at its benchmark length', () => {
    const dense = inferenceVariants(PRESETS.full).find((v) => v.mechanism === denseMechanism.name)!;
    expect(dense.maxLength).toBe(8192);
    const { lengths } = PRESETS.full.inferenceScaling;
    const runs = inferenceVariants(PRESETS.full).reduce(
      (sum, v) => sum + lengths.filter((n) => n <= v.maxLength).length,
      0,
    );
    expect(inferenceScalingExperiment.runCount(PRESETS.full)).toBe(runs);
    expect(runs).toBe(5 * lengths.length - 1);
  });
});
