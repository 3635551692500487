import { ropeDefinition, ropeFrequencies } from '@efficient-attention/encodings';
import {
  EncodingControls,
  type EncodingControlValues,
  formatNumber,
  Heatmap,
  LineChart,
  Pending,
  RangeControl,
  ROPE_SCALING_KINDS,
  type RopeScalingKind,
  ropeScalingOf,
  useAsyncValue,
} from '@efficient-attention/figures';
import { useMemo } from 'react';
import { setParams, useNumberParam, useStringParam } from '../url-state.js';

/** Positional encodings: matrices side by side, dot product vs distance, RoPE on a 2-D slice, context scaling. */
export function EncodingsView() {
  const [length] = useNumberParam('length', 32, 4, 256);
  const [dim] = useNumberParam('dim', 16, 2, 128);
  const [seed] = useNumberParam('seed', 0, 0, 1000);
  const [scaling] = useStringParam<RopeScalingKind>('scaling', 'none', ROPE_SCALING_KINDS);
  const [factor] = useNumberParam('factor', 4, 1, 64);
  const [pair, setPair] = useNumberParam('pair', 0, 0, 63);
  const evenDim = dim % 2 === 0 ? dim : dim + 1;
  const p = Math.min(pair, evenDim / 2 - 1);
  const ropeScaling = useMemo(() => ropeScalingOf(scaling, factor, length), [scaling, factor, length]);
  const setValues = (change: Partial<EncodingControlValues>) =>
    // The URL keys are the control values' names.
    setParams((params) => {
      for (const [key, value] of Object.entries(change)) params.set(key, String(value));
    });

  const state = useAsyncValue(async () => {
    const { encodingFigureData } = await import('@efficient-attention/figures/compute');
    const base = { length, dim: evenDim, seed };
    const [scaled, plain] = await Promise.all([
      encodingFigureData(ropeScaling ? { ...base, ropeScaling } : base),
      ropeScaling ? encodingFigureData({ ...base, encodings: [ropeDefinition] }) : Promise.resolve(undefined),
    ]);
    return { scaled, plain };
  }, [length, evenDim, seed, ropeScaling]);

  const frequencies = useMemo(() => {
    const scaled = ropeFrequencies(
      ropeScaling ? { rotaryDim: evenDim, scaling: ropeScaling } : { rotaryDim: evenDim },
    );
    const plain = ropeFrequencies({ rotaryDim: evenDim });
    return { scaled: scaled.inverseFrequencies[p]!, plain: plain.inverseFrequencies[p]! };
  }, [evenDim, p, ropeScaling]);

  const rotation = useMemo(() => {
    if (state.status !== 'ready') return [];
    // half-split layout: pair p is (dimension p, dimension p + d/2); row t holds (cos tθ_p, sin tθ_p).
    const slice = (name: string, m: number[][]) => ({
      name,
      x: m.map((r) => r[p]!),
      y: m.map((r) => r[p + evenDim / 2]!),
    });
    const rope = state.value.scaled.find((e) => e.name === ropeDefinition.name)!;
    const out = [
      slice(ropeScaling ? `RoPE, ${ropeScaling.type} ×${ropeScaling.factor}` : 'RoPE', rope.matrix),
    ];
    const plain = state.value.plain?.find((e) => e.name === ropeDefinition.name);
    if (plain) out.push(slice('RoPE, unscaled', plain.matrix));
    return out;
  }, [state, p, evenDim, ropeScaling]);

  return (
    <section aria-labelledby="encodings-title">
      <h2 id="encodings-title">Positional encodings</h2>
      <div className="controls">
        <EncodingControls
          values={{ length, dim: evenDim, seed, scaling, factor }}
          onChange={setValues}
          max={{ length: 256, dim: 128, seed: 50, factor: 64 }}
        />
        <RangeControl label="RoPE pair" value={p} min={0} max={evenDim / 2 - 1} onChange={setPair} />
      </div>
      <p data-testid="rope-frequency" aria-live="polite">
        RoPE pair {p}: θ = <strong data-testid="theta">{formatNumber(frequencies.scaled)}</strong> rad per
        position (wavelength{' '}
        <strong data-testid="wavelength">{formatNumber((2 * Math.PI) / frequencies.scaled)}</strong>{' '}
        positions); unscaled θ = {formatNumber(frequencies.plain)}.
      </p>
      <Pending state={state} />
      {state.status === 'ready' && (
        <>
          <div className="row">
            {state.value.scaled.map((panel) => (
              <section key={panel.name} aria-label={panel.title}>
                <h3>{panel.title}</h3>
                <Heatmap
                  matrix={panel.matrix}
                  label={`${panel.title} encoding matrix`}
                  rowLabel="position"
                  columnLabel="dimension"
                  size={200}
                />
              </section>
            ))}
          </div>
          <div className="row">
            <LineChart
              series={state.value.scaled.map((e) => ({
                name: e.title,
                x: e.curve.map((_, k) => k),
                y: e.curve,
              }))}
              label="Dot product vs distance"
              xLabel="distance k"
              yLabel="⟨PE(0), PE(k)⟩"
            />
            <LineChart
              series={rotation}
              label={`RoPE rotation of pair ${p}`}
              xLabel={`dimension ${p} (cos tθ)`}
              yLabel={`dimension ${p + evenDim / 2} (sin tθ)`}
              width={340}
              height={340}
              dataTable={false}
              caption="Positions t = 0 … L − 1 rotate the pair around the circle; scaling slows the rotation."
            />
          </div>
        </>
      )}
    </section>
  );
}
