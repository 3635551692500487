import { useMemo, useState } from 'react';
import {
  EncodingControls,
  type EncodingControlValues,
  type RopeScalingKind,
  ropeScalingOf,
} from './encoding-controls.js';
import type { EncodingPanel } from './encoding-figure-data.js';
import { FigureFrame, Pending } from './figure-frame.js';
import { formatNumber } from './format-number.js';
import { Heatmap } from './heatmap.js';
import { LineChart } from './line-chart.js';
import { useAsyncValue } from './use-async-value.js';

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

/**
 * Section 1 of the blog: every registered encoding that changes the vectors — additive (sinusoidal,
 * linear, learned with seeded initial values) and rotary (RoPE, optionally with PI / NTK / YaRN context
 * scaling) — on the same positions side by side as heatmaps, titled by their definitions, and how much two
 * positions k apart agree (dot product vs distance), computed with `@efficient-attention/encodings` in the
 * page. Vaswani et al. 2017 (https://arxiv.org/abs/1706.03762), Su et
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
  const [values, setValues] = useState<EncodingControlValues>({
    length: initialLength,
    dim: initialDim,
    seed: initialSeed,
    scaling: initialScaling,
    factor: initialFactor,
  });
  const { length, dim, seed, scaling, factor } = values;
  const state = useAsyncValue(async () => {
    const { encodingFigureData } = await import('./encoding-figure-data.js');
    const ropeScaling = ropeScalingOf(scaling, factor, length);
    return encodingFigureData(ropeScaling ? { length, dim, seed, ropeScaling } : { length, dim, seed });
  }, [length, dim, seed, scaling, factor]);
  const series = useMemo(
    () =>
      state.status === 'ready'
        ? state.value.map((panel: EncodingPanel) => ({
            name: panel.title,
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
          The additive and rotary positional encodings of positions 0 … {length - 1} at width {dim} (rows =
          positions, columns = dimensions), and the dot product of two encodings k positions apart. Sinusoidal
          and RoPE decay with distance; the linear encoding of position 0 is zero; the learned table starts as
          seeded noise (seed {seed}) and only training shapes it.
        </>
      }
      controls={<EncodingControls values={values} onChange={(c) => setValues((old) => ({ ...old, ...c }))} />}
    >
      <Pending state={state} />
      {state.status === 'ready' && (
        <>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 16 }}>
            {state.value.map((panel) => (
              <section key={panel.name} data-testid={`encoding-${panel.name}`} aria-label={panel.title}>
                <h4 style={{ margin: '0 0 4px' }}>{panel.title}</h4>
                <Heatmap
                  matrix={panel.matrix}
                  label={`${panel.title} encoding matrix`}
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
            caption="Rotary: the score of two all-ones vectors k apart after rotation (RoFormer §3.4.3)."
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
                <tr key={panel.name} data-testid={`curve-${panel.name}`}>
                  <th scope="row">{panel.title}</th>
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
