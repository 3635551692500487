import type { RopeScaling } from '@efficient-attention/encodings';
import { useMemo, useState } from 'react';
import { RangeControl, SelectControl } from './controls.js';
import { type ComparedEncoding, ENCODING_TITLES, type EncodingPanel } from './encoding-figure-data.js';
import { FigureFrame, Pending } from './figure-frame.js';
import { formatNumber } from './format-number.js';
import { Heatmap } from './heatmap.js';
import { LineChart } from './line-chart.js';
import { useAsyncValue } from './use-async-value.js';

/** RoPE context scaling choices of the figure. */
export type RopeScalingKind = 'none' | RopeScaling['type'];

/** Props of {@link EncodingComparisonFigure}. */
export interface EncodingComparisonFigureProps {
  /** Initial number of positions. Default 32. */
  initialLength?: number;
  /** Initial width d. Default 16. */
  initialDim?: number;
  /** Initial seed of the learned table. Default 0. */
  initialSeed?: number;
  /** Initial RoPE scaling. Default 'none'. */
  initialScaling?: RopeScalingKind;
  /** Initial scaling factor. Default 2. */
  initialFactor?: number;
}

function scalingOf(kind: RopeScalingKind, factor: number, length: number): RopeScaling | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'yarn') return { type: 'yarn', factor, originalMaxLength: length };
  return { type: kind, factor };
}

/**
 * Section 1 of the blog: sinusoidal, linear, learned (seeded initial values) and rotary (RoPE, optionally
 * with PI / NTK / YaRN context scaling) encodings of the same positions side by side as heatmaps, and how
 * much two positions k apart agree (dot product vs distance) — computed with
 * `@efficient-attention/encodings` in the page. Vaswani et al. 2017 (https://arxiv.org/abs/1706.03762), Su et
 * al. 2021 (https://arxiv.org/abs/2104.09864).
 *
 * @example
 * ```tsx
 * <EncodingComparisonFigure initialLength={64} initialDim={32} />
 * ```
 */
export function EncodingComparisonFigure({
  initialLength = 32,
  initialDim = 16,
  initialSeed = 0,
  initialScaling = 'none',
  initialFactor = 2,
}: EncodingComparisonFigureProps) {
  const [length, setLength] = useState(initialLength);
  const [dim, setDim] = useState(initialDim);
  const [seed, setSeed] = useState(initialSeed);
  const [scaling, setScaling] = useState<RopeScalingKind>(initialScaling);
  const [factor, setFactor] = useState(initialFactor);
  const state = useAsyncValue(async () => {
    const { encodingFigureData } = await import('./encoding-figure-data.js');
    const ropeScaling = scalingOf(scaling, factor, length);
    return encodingFigureData(ropeScaling ? { length, dim, seed, ropeScaling } : { length, dim, seed });
  }, [length, dim, seed, scaling, factor]);
  const series = useMemo(
    () =>
      state.status === 'ready'
        ? state.value.map((panel: EncodingPanel) => ({
            name: ENCODING_TITLES[panel.name],
            x: panel.curve.map((_, k) => k),
            y: panel.curve,
          }))
        : [],
    [state],
  );

  return (
    <FigureFrame
      className="ea-encoding-comparison-figure"
      caption={
        <>
          Four positional encodings of positions 0 … {length - 1} at width {dim} (rows = positions, columns =
          dimensions), and the dot product of two encodings k positions apart. Sinusoidal and RoPE decay with
          distance; the linear encoding of position 0 is zero; the learned table starts as seeded noise (seed{' '}
          {seed}) and only training shapes it.
        </>
      }
      controls={
        <>
          <RangeControl label="Positions" value={length} min={4} max={128} onChange={setLength} />
          <RangeControl label="Width d" value={dim} min={2} max={64} step={2} onChange={setDim} />
          <RangeControl label="Learned init seed" value={seed} min={0} max={20} onChange={setSeed} />
          <SelectControl<RopeScalingKind>
            label="RoPE scaling"
            value={scaling}
            options={[
              { value: 'none', label: 'none' },
              { value: 'linear', label: 'position interpolation (PI)' },
              { value: 'ntk', label: 'NTK-aware' },
              { value: 'yarn', label: 'YaRN' },
            ]}
            onChange={setScaling}
          />
          <RangeControl label="Scaling factor" value={factor} min={1} max={16} onChange={setFactor} />
        </>
      }
    >
      <Pending state={state} />
      {state.status === 'ready' && (
        <>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 16 }}>
            {state.value.map((panel) => (
              <section
                key={panel.name}
                data-testid={`encoding-${panel.name}`}
                aria-label={ENCODING_TITLES[panel.name]}
              >
                <h4 style={{ margin: '0 0 4px' }}>{ENCODING_TITLES[panel.name]}</h4>
                <Heatmap
                  matrix={panel.matrix}
                  label={`${ENCODING_TITLES[panel.name]} encoding matrix`}
                  rowLabel="position"
                  columnLabel="dimension"
                  valueLabel="value"
                  size={180}
                />
              </section>
            ))}
          </div>
          <LineChart
            series={series}
            label="Dot product vs distance"
            xLabel="distance k"
            yLabel="⟨PE(0), PE(k)⟩"
            caption="RoPE: the score of two all-ones vectors k apart after rotation (RoFormer §3.4.3)."
          />
          <table className="ea-readout">
            <caption>Dot product at distance k</caption>
            <thead>
              <tr>
                <th scope="col">encoding</th>
                <th scope="col">k = 0</th>
                <th scope="col">k = 1</th>
                <th scope="col">k = {length - 1}</th>
              </tr>
            </thead>
            <tbody>
              {state.value.map((panel) => (
                <tr key={panel.name} data-testid={`curve-${panel.name as ComparedEncoding}`}>
                  <th scope="row">{ENCODING_TITLES[panel.name]}</th>
                  <td>{formatNumber(panel.curve[0] ?? Number.NaN)}</td>
                  <td>{formatNumber(panel.curve[1] ?? Number.NaN)}</td>
                  <td>{formatNumber(panel.curve[length - 1] ?? Number.NaN)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </FigureFrame>
  );
}
