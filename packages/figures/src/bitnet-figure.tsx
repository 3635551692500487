import { useMemo } from 'react';
import { BitLinearDiagram } from './bit-linear-diagram.js';
import type { QuantizedView } from './bitnet-figure-data.js';
import { RangeControl } from './controls.js';
import { FigureFrame, Pending } from './figure-frame.js';
import { formatBytes, formatNumber, formatPercent } from './format-number.js';
import { Heatmap } from './heatmap.js';
import { Histogram } from './histogram.js';
import { useAsyncValue } from './use-async-value.js';
import { useControllable } from './use-controllable.js';

/** Props of {@link BitNetFigure}. */
export interface BitNetFigureProps {
  /** Initial rows = columns of the weight matrix. Default 64. */
  initialSize?: number;
  /** Initial seed. Default 0. */
  initialSeed?: number;
  /** Standard deviation of the weights. Default 0.02 (GPT-2 init). */
  std?: number;
  /** Controlled matrix size (with `onSizeChange`), e.g. kept in a page URL. */
  size?: number;
  onSizeChange?: (size: number) => void;
  /** Controlled seed (with `onSeedChange`). */
  seed?: number;
  onSeedChange?: (seed: number) => void;
}

/** Rows of a row-major array, for the heatmaps (at most `limit` × `limit`). */
function toRows(values: readonly number[], columns: number, limit: number): number[][] {
  const rows = Math.min(limit, values.length / columns);
  return Array.from({ length: rows }, (_, r) =>
    values.slice(r * columns, r * columns + Math.min(columns, limit)),
  );
}

function CountsRow({ name, v, testId }: { name: string; v: QuantizedView; testId: string }) {
  const n = v.counts.minus + v.counts.zero + v.counts.plus;
  return (
    <tr data-testid={testId}>
      <th scope="row">{name}</th>
      <td>{formatPercent(v.counts.minus / n)}</td>
      <td>{formatPercent(v.counts.zero / n)}</td>
      <td>{formatPercent(v.counts.plus / n)}</td>
      <td>{formatNumber(v.scale)}</td>
      <td>{formatNumber(v.relativeError)}</td>
    </tr>
  );
}

/**
 * Section 7 of the blog: a seeded weight matrix before and after BitNet's binarization (sign(W − mean),
 * scale mean|W|) and BitNet b1.58's ternarization (absmean round-clip to {−1, 0, +1}), their histograms,
 * bytes per weight as float32 against 2-bit packing, and the BitLinear dataflow — computed with
 * `@efficient-attention/bitnet` in the page.
 *
 * @example
 * ```tsx
 * <BitNetFigure initialSize={64} />
 * ```
 */
export function BitNetFigure({
  initialSize = 64,
  initialSeed = 0,
  std = 0.02,
  size: sizeProp,
  onSizeChange,
  seed: seedProp,
  onSeedChange,
}: BitNetFigureProps) {
  const [size, setSize] = useControllable(sizeProp, initialSize, onSizeChange);
  const [seed, setSeed] = useControllable(seedProp, initialSeed, onSeedChange);
  const state = useAsyncValue(async () => {
    const { bitnetFigureData } = await import('./bitnet-figure-data.js');
    return bitnetFigureData({ rows: size, columns: size, std, seed });
  }, [size, seed, std]);
  const matrices = useMemo(() => {
    if (state.status !== 'ready') return undefined;
    const d = state.value;
    return {
      float: toRows(d.weights, size, 32),
      binary: toRows(d.binary.values, size, 32),
      ternary: toRows(d.ternary.values, size, 32),
      binaryDequantized: d.binary.values.map((v) => v * d.binary.scale),
      ternaryDequantized: d.ternary.values.map((v) => v * d.ternary.scale),
    };
  }, [state, size]);
  const n = size * size;

  return (
    <FigureFrame
      className="ea-bitnet-figure"
      caption={
        <>
          A {size} × {size} weight matrix (normal, σ = {std}, seed {seed}) before and after quantization
          (heatmaps show the top-left 32 × 32). Binary weights keep 1 bit and ternary weights 1.58 bits of
          information; packed at 2 bits, a ternary matrix takes 16× less memory than float32, and its matmul
          needs only additions.
        </>
      }
      controls={
        <>
          <RangeControl label="Matrix size" value={size} min={16} max={256} step={16} onChange={setSize} />
          <RangeControl label="Weight seed" value={seed} min={0} max={20} onChange={setSeed} />
        </>
      }
    >
      <Pending state={state} />
      {state.status === 'ready' && matrices !== undefined && (
        <>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 16 }}>
            <Heatmap
              matrix={matrices.float}
              label="Float weights"
              rowLabel="output"
              columnLabel="input"
              valueLabel="weight"
              size={160}
            />
            <Heatmap
              matrix={matrices.binary}
              label="Binarized weights"
              rowLabel="output"
              columnLabel="input"
              valueLabel="sign"
              domain={[-1, 1]}
              scheme="cividis"
              size={160}
            />
            <Heatmap
              matrix={matrices.ternary}
              label="Ternarized weights"
              rowLabel="output"
              columnLabel="input"
              valueLabel="trit"
              domain={[-1, 1]}
              scheme="cividis"
              size={160}
            />
          </div>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 16 }}>
            <Histogram values={state.value.weights} label="Float weights" xLabel="weight" />
            <Histogram
              values={matrices.binaryDequantized}
              label="Binarized weights (β · sign)"
              xLabel="weight"
              bins={8}
            />
            <Histogram
              values={matrices.ternaryDequantized}
              label="Ternarized weights (β · trit)"
              xLabel="weight"
              bins={12}
            />
          </div>
          <table className="ea-readout">
            <caption>Quantized values</caption>
            <thead>
              <tr>
                <th scope="col">quantizer</th>
                <th scope="col">−1</th>
                <th scope="col">0</th>
                <th scope="col">+1</th>
                <th scope="col">scale β</th>
                <th scope="col">relative error</th>
              </tr>
            </thead>
            <tbody>
              <CountsRow name="binary (BitNet)" v={state.value.binary} testId="counts-binary" />
              <CountsRow name="ternary (b1.58)" v={state.value.ternary} testId="counts-ternary" />
            </tbody>
          </table>
          <table className="ea-readout" data-testid="bytes">
            <caption>Memory of the {n} weights</caption>
            <thead>
              <tr>
                <th scope="col">format</th>
                <th scope="col">bytes</th>
                <th scope="col">bits per weight</th>
              </tr>
            </thead>
            <tbody>
              <tr data-testid="bytes-fp32">
                <th scope="row">float32</th>
                <td>{formatBytes(state.value.fp32Bytes)}</td>
                <td>{formatNumber((8 * state.value.fp32Bytes) / n)}</td>
              </tr>
              <tr data-testid="bytes-i2s">
                <th scope="row">ternary packed (2-bit i2s + scale)</th>
                <td>{formatBytes(state.value.packedBytes)}</td>
                <td>{formatNumber((8 * state.value.packedBytes) / n)}</td>
              </tr>
            </tbody>
          </table>
          <BitLinearDiagram />
        </>
      )}
    </FigureFrame>
  );
}
