import { InvalidArgumentError } from '@efficient-attention/core';

/** A preset fixes every size and repeat count, so a run is reproducible from its name and seed. */
export interface Preset {
  name: 'quick' | 'full';
  /** Sequence lengths for inference timing. */
  lengths: number[];
  heads: number;
  headDim: number;
  /** Timed repeats per configuration (median reported). */
  repeats: number;
  seed: number;
}

export const PRESETS: Readonly<Record<Preset['name'], Preset>> = Object.freeze({
  quick: { name: 'quick', lengths: [256, 512, 1024, 2048], heads: 8, headDim: 64, repeats: 3, seed: 42 },
  full: {
    name: 'full',
    lengths: [256, 512, 1024, 2048, 4096, 8192],
    heads: 8,
    headDim: 64,
    repeats: 5,
    seed: 42,
  },
});

/** Looks a preset up by name, with an error that lists the valid ones. */
export function getPreset(name: string): Preset {
  const preset = (PRESETS as Record<string, Preset>)[name];
  if (!preset)
    throw new InvalidArgumentError(
      'experiments',
      '--preset',
      `one of ${Object.keys(PRESETS).join(', ')}`,
      name,
    );
  return preset;
}
