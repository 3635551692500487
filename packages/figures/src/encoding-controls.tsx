import type { RopeScaling } from '@efficient-attention/encodings';
import { RangeControl, SelectControl } from './controls.js';

/** RoPE context scaling of the encoding controls: none, or one of RoPE's scaling methods. */
export type RopeScalingKind = 'none' | RopeScaling['type'];

/**
 * RoPE's context-scaling methods (`RopeScaling['type']` of `@efficient-attention/encodings`, so a new method
 * fails to compile here until it has a label) with the names their papers give them. Position
 * interpolation: Chen et al. 2023, https://arxiv.org/abs/2306.15595; YaRN: Peng et al. 2023,
 * https://arxiv.org/abs/2309.00071.
 */
const ROPE_SCALING_LABELS = {
  linear: 'position interpolation (PI)',
  ntk: 'NTK-aware',
  yarn: 'YaRN',
} as const satisfies Record<RopeScaling['type'], string>;

/** Every {@link RopeScalingKind}, `none` first. */
export const ROPE_SCALING_KINDS: readonly RopeScalingKind[] = Object.freeze([
  'none',
  ...(Object.keys(ROPE_SCALING_LABELS) as RopeScaling['type'][]),
]);

const SCALING_OPTIONS = ROPE_SCALING_KINDS.map((kind) => ({
  value: kind,
  label: kind === 'none' ? kind : ROPE_SCALING_LABELS[kind],
}));

/**
 * The `scaling` option of RoPE for a choice of the controls: YaRN keeps the figure's length as the length
 * the model was trained with.
 *
 * @example
 * ```ts
 * ropeScalingOf('yarn', 4, 32); // { type: 'yarn', factor: 4, originalMaxLength: 32 }
 * ```
 */
export function ropeScalingOf(
  kind: RopeScalingKind,
  factor: number,
  length: number,
): RopeScaling | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'yarn') return { type: kind, factor, originalMaxLength: length };
  return { type: kind, factor };
}

/** What {@link EncodingControls} set. */
export interface EncodingControlValues {
  /** Positions 0 … length − 1. */
  length: number;
  /** Width d (even). */
  dim: number;
  /** Seed of the learned table's initial values. */
  seed: number;
  /** RoPE context scaling. */
  scaling: RopeScalingKind;
  /** Its factor. */
  factor: number;
}

/** Props of {@link EncodingControls}. */
export interface EncodingControlsProps {
  values: EncodingControlValues;
  /** Called with the one value that changed. */
  onChange: (change: Partial<EncodingControlValues>) => void;
  /** Upper ends of the sliders. Default: 128 positions, width 64, seed 20, factor 16. */
  max?: Partial<Pick<EncodingControlValues, 'length' | 'dim' | 'seed' | 'factor'>>;
}

/**
 * The controls of the positional-encoding comparison (positions, width, learned init seed, RoPE context
 * scaling and its factor), shared by {@link EncodingComparisonFigure} and the playground's encodings view.
 *
 * @example
 * ```tsx
 * <EncodingControls values={values} onChange={(c) => setValues((v) => ({ ...v, ...c }))} />
 * ```
 */
export function EncodingControls({ values, onChange, max = {} }: EncodingControlsProps) {
  return (
    <>
      <RangeControl
        label="Positions"
        value={values.length}
        min={4}
        max={max.length ?? 128}
        onChange={(length) => onChange({ length })}
      />
      <RangeControl
        label="Width d"
        value={values.dim}
        min={2}
        max={max.dim ?? 64}
        step={2}
        onChange={(dim) => onChange({ dim })}
      />
      <RangeControl
        label="Learned init seed"
        value={values.seed}
        min={0}
        max={max.seed ?? 20}
        onChange={(seed) => onChange({ seed })}
      />
      <SelectControl<RopeScalingKind>
        label="RoPE scaling"
        value={values.scaling}
        options={SCALING_OPTIONS}
        onChange={(scaling) => onChange({ scaling })}
      />
      <RangeControl
        label="Scaling factor"
        value={values.factor}
        min={1}
        max={max.factor ?? 16}
        onChange={(factor) => onChange({ factor })}
      />
    </>
  );
}
