/** Target value that losses and metrics skip (positions with nothing to predict). */
export const IGNORE_INDEX = -1;

/**
 * A batch of generated examples as flat row-major int32 arrays, ready for `tf.tensor2d`.
 * Language-model tasks have one target per position (`IGNORE_INDEX` where nothing is predicted); target
 * `t` is what the logits at position `t` must predict (no shift). Classification tasks have one target per
 * example.
 */
export interface TaskBatch {
  readonly batch: number;
  readonly seqLen: number;
  /** `[batch, seqLen]` token ids. */
  readonly tokens: Int32Array;
  /** `[batch, seqLen]` for language-model tasks, `[batch]` for classification. */
  readonly targets: Int32Array;
}
