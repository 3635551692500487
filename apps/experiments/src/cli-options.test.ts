import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, EXPERIMENT_NAMES, parseCliOptions } from './cli-options.js';

describe('parseCliOptions', () => {
  it('defaults to the quick preset, every experiment, backend auto and results/', () => {
    const o = parseCliOptions({});
    expect(o.preset.name).toBe('quick');
    expect(o.only).toEqual([...EXPERIMENT_NAMES]);
    expect(o.backend).toBe('auto');
    expect(o.out).toBe('results');
    expect(o.jobs).toBe(availableParallelism());
  });

  it('reads --jobs as a positive integer', () => {
    expect(parseCliOptions({ jobs: '1' }).jobs).toBe(1);
    expect(parseCliOptions({ jobs: 3 }).jobs).toBe(3);
    expect(() => parseCliOptions({ jobs: 0 })).toThrow(
      'experiments: `--jobs` must be an integer from 1 to 64, received 0.',
    );
    expect(() => parseCliOptions({ jobs: '1.5' })).toThrow(/`--jobs` must be an integer from 1 to 64/);
  });

  it('reads --backend auto, wasm, cpu or webgpu', () => {
    expect(BACKEND_CHOICES).toEqual(['auto', 'wasm', 'cpu', 'webgpu']);
    for (const backend of BACKEND_CHOICES) expect(parseCliOptions({ backend }).backend).toBe(backend);
  });

  it('reads --only as a comma list (or repeated), in run order, without repeats', () => {
    expect(parseCliOptions({ only: 'listops,mqar,mqar' }).only).toEqual(['mqar', 'listops']);
    expect(parseCliOptions({ only: ['char-lm-bitnet', 'mqar'] }).only).toEqual(['mqar', 'char-lm-bitnet']);
  });

  it('fails with a sentence for unknown experiments, backends, presets and options', () => {
    expect(() => parseCliOptions({ only: 'mqar,lra' })).toThrow(
      /experiments: `--only` must be experiment names among attention-kernels, .*char-lm-bitnet, received "lra"\./,
    );
    expect(() => parseCliOptions({ only: '' })).toThrow(/`--only` must be a comma-separated list/);
    expect(() => parseCliOptions({ backend: 'webgl' })).toThrow(
      'experiments: `--backend` must be one of auto, wasm, cpu, webgpu, received "webgl".',
    );
    expect(() => parseCliOptions({ backend: 'WASM' })).toThrow(/`--backend` must be one of auto, wasm/);
    expect(() => parseCliOptions({ preset: 'medium' })).toThrow(
      'experiments: `--preset` must be one of quick, full, received "medium".',
    );
    expect(() => parseCliOptions({ seeds: 3 })).toThrow(/`--seeds` must be not given: it is not an option/);
    expect(() => parseCliOptions({ out: '' })).toThrow(/`--out` must be a folder path/);
  });
});
