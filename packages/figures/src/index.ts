/**
 * `@efficient-attention/figures`: the React figures of the Efficient Attention blog series, shared by the
 * playground and the docs site. Primitives (Heatmap, LineChart, BlockGrid, Histogram) draw our packages'
 * outputs; one self-contained figure per blog section computes with the packages in the page, loading
 * tfjs lazily in effects so that pages render on a server.
 *
 * @packageDocumentation
 */

export { AdaptiveSpanFigure, type AdaptiveSpanFigureProps } from './adaptive-span-figure.js';
export { BitLinearDiagram, type BitLinearDiagramProps } from './bit-linear-diagram.js';
export { BitNetFigure, type BitNetFigureProps } from './bitnet-figure.js';
export { BlockGrid, type BlockGridProps } from './block-grid.js';
export { type BlockLayout, type BlockState, type BlockStates, blockStates } from './block-states.js';
export { ColorLegend, type ColorLegendProps } from './color-legend.js';
export { type ColorSchemeName, categoricalColors, matrixExtent, sequentialColor } from './color-scale.js';
export { ComplexityFigure, type ComplexityFigureProps } from './complexity-figure.js';
export { RangeControl, type RangeControlProps, SelectControl, type SelectControlProps } from './controls.js';
export {
  attentionCost,
  COST_MECHANISMS,
  COST_MODELS,
  type Cost,
  type CostMechanism,
  type CostModel,
  type CostParams,
  costModel,
  DEFAULT_COST_PARAMS,
  LINEAR_REFERENCE,
  powersOfTwo,
  QUADRATIC_REFERENCE,
} from './cost-models.js';
export {
  EncodingComparisonFigure,
  type EncodingComparisonFigureProps,
} from './encoding-comparison-figure.js';
export {
  EncodingControls,
  type EncodingControlsProps,
  type EncodingControlValues,
  ROPE_SCALING_KINDS,
  type RopeScalingKind,
  ropeScalingOf,
} from './encoding-controls.js';
export { FigureFrame, type FigureFrameProps, Pending, type PendingProps } from './figure-frame.js';
export {
  DEFAULT_PATTERN_PARAMS,
  FIGURE_PATTERNS,
  type FigurePattern,
  type PatternDescription,
  type PatternParams,
} from './figure-patterns.js';
export { formatBytes, formatNumber, formatPercent } from './format-number.js';
export { GlobalLocalFigure, type GlobalLocalFigureProps } from './global-local-figure.js';
export { Heatmap, type HeatmapProps } from './heatmap.js';
export { Histogram, type HistogramProps } from './histogram.js';
export { LineChart, type LineChartProps, type LineSeries } from './line-chart.js';
export { loadTf } from './load-tf.js';
export type { MechanismRow } from './mechanism-rows.js';
export { MechanismTable, type MechanismTableProps } from './mechanism-table.js';
export { type ResultRow, ResultsTable, type ResultsTableProps } from './results-table.js';
export { SparsePatternFigure, type SparsePatternFigureProps } from './sparse-pattern-figure.js';
export { type AsyncValue, useAsyncValue } from './use-async-value.js';
export { useControllable } from './use-controllable.js';
