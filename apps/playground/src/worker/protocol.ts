import type { BackendName, CapabilityReport } from '@efficient-attention/backends';
import type { BlockLayout, CostMechanism, CostParams } from '@efficient-attention/figures';
import type { AttentionMeasurement } from '@efficient-attention/figures/compute';

/** Work the compute worker does, by kind: arguments and result. */
export interface Tasks {
  'init-backend': { args: { backend: BackendName }; result: CapabilityReport };
  complexity: {
    args: { lengths: number[]; mechanisms: CostMechanism[]; params: CostParams; repeats: number };
    result: AttentionMeasurement[];
  };
  'bitnet-timing': { args: { sizes: number[]; repeats: number }; result: MatmulTiming[] };
  attention: { args: AttentionArgs; result: AttentionResult };
  masks: { args: MaskArgs; result: MaskResult };
}

/** A composed mask: registered patterns (each possibly negated, with its options) joined by `and` or `or`. */
export interface MaskArgs {
  terms: { pattern: string; negate: boolean; options: Record<string, unknown> }[];
  op: 'and' | 'or';
  /** Queries and keys N. */
  n: number;
  /** Block size of the block mask (and of BigBird's blocks). */
  blockSize: number;
  /** Seed of random patterns. */
  seed: number;
}

/**
 * The composed mask's element matrix, block layout and savings (a structured-clone-safe `MaskStats`), or
 * the sentences of the options `createPatternMask` rejected.
 */
export type MaskResult =
  | { status: 'invalid'; problems: string[] }
  | {
      status: 'built';
      matrix: number[][];
      allowed: number;
      density: number;
      flopsSaved: number;
      blockSparsity: number;
      blockMask: BlockLayout;
    };

/** One size of the ternary-vs-float timing. */
export interface MatmulTiming {
  /** K = N of the [1, K] × [K, N] product. */
  size: number;
  /** Median ms of tfjs `matMul` in float32 on the active backend. */
  floatMs: number;
  /** Median ms of bitnet's multiplication-free `ternaryGemm` on 2-bit packed weights (plain JS). */
  ternaryMs: number;
  /** Bytes of the float32 weights and of the packed ternary weights. */
  floatBytes: number;
  ternaryBytes: number;
  backend: string;
}

/** Arguments of the attention task: exported models (by absolute URL of their `model.json`) and tokens. */
export interface AttentionArgs {
  /** The dense model whose weights every approximation reuses. */
  denseUrl: string;
  /** Models trained with another mechanism (family → model.json URL), shown as they are. */
  trained: { family: string; url: string }[];
  tokens: number[];
  /** Adaptive span z in tokens. */
  span: number;
  /** Adaptive span ramp R in tokens. */
  rampSize: number;
  /** Sliding-window radius of the sparse approximation. */
  radius: number;
  /** Performer random features. */
  features: number;
}

/** Attention maps of one mechanism: per layer, per head, `[query][key]`. */
export interface AttentionPanel {
  name: string;
  /** `approximation`: the dense model's weights under another mechanism; `trained`: a model trained with it. */
  kind: 'dense' | 'approximation' | 'trained';
  mechanism: string;
  maps: number[][][][];
  /** Per layer, per head: ‖A − A_dense‖_F / ‖A_dense‖_F against the dense model's maps. */
  errors: number[][];
}

/** The attention task's result. */
export interface AttentionResult {
  layers: number;
  heads: number;
  panels: AttentionPanel[];
}

/** A kind of {@link Tasks}. */
export type TaskKind = keyof Tasks;

/** A message to the worker. */
export type WorkerRequest =
  | { [K in TaskKind]: { type: 'run'; id: number; kind: K; args: Tasks[K]['args'] } }[TaskKind]
  | { type: 'cancel'; id: number };

/** A message from the worker. */
export type WorkerResponse =
  | { type: 'progress'; id: number; done: number; total: number; partial?: unknown }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string }
  | { type: 'cancelled'; id: number };
