/** Props of {@link BitLinearDiagram}. */
export interface BitLinearDiagramProps {
  /** Width in px. Default 780. */
  width?: number;
}

const STEPS = [
  { title: 'x (float)', detail: 'activations' },
  { title: 'RMSNorm', detail: 'scale-free input' },
  { title: 'absmax → int8', detail: 'x̃ = clip(x·Qb/γ)' },
  { title: 'W̃ ∈ {−1, 0, +1}', detail: 'adds and subtracts only' },
  { title: 'rescale β·γ/Qb', detail: 'back to float' },
  { title: 'y (float)', detail: 'output' },
];

/**
 * The BitLinear dataflow of BitNet (Wang et al. 2023, Fig. 2, https://arxiv.org/abs/2310.11453) as an SVG
 * diagram: normalise, quantize activations to 8 bits by absmax, multiply by ternary weights (additions
 * and subtractions instead of multiplications), rescale by the weight scale β and the activation scale γ.
 *
 * @example
 * ```tsx
 * <BitLinearDiagram width={780} />
 * ```
 */
export function BitLinearDiagram({ width = 780 }: BitLinearDiagramProps) {
  const box = width / STEPS.length;
  const height = 70;
  return (
    <svg
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`BitLinear dataflow: ${STEPS.map((s) => s.title).join(' → ')}`}
      style={{ fontSize: 10, maxWidth: '100%' }}
    >
      <defs>
        <marker
          id="ea-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="6"
          markerHeight="6"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" fill="currentColor" />
        </marker>
      </defs>
      {STEPS.map((s, i) => {
        const x = i * box;
        const ternary = i === 3;
        return (
          <g key={s.title}>
            <rect
              x={x + 4}
              y={10}
              width={box - 18}
              height={48}
              rx={6}
              fill={ternary ? '#fde72533' : 'none'}
              stroke="currentColor"
              strokeWidth={ternary ? 2 : 1}
            />
            <text x={x + (box - 10) / 2} y={30} textAnchor="middle" fill="currentColor" fontWeight="bold">
              {s.title}
            </text>
            <text x={x + (box - 10) / 2} y={47} textAnchor="middle" fill="currentColor">
              {s.detail}
            </text>
            {i < STEPS.length - 1 && (
              <line
                x1={x + box - 14}
                y1={34}
                x2={x + box + 4}
                y2={34}
                stroke="currentColor"
                markerEnd="url(#ea-arrow)"
              />
            )}
          </g>
        );
      })}
    </svg>
  );
}
