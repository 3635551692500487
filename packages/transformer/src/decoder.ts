import {
  assertKnownOptions,
  assertLiveTensor,
  assertNumber,
  createRandom,
  InvalidArgumentError,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  createLayerCache,
  type DecodingStrategy,
  decodingPlan,
  decodingStrategy,
  type LayerCache,
} from './layer-cache.js';
import { assertTokenIds, modelInternals, type TransformerModel } from './transformer-model.js';

/** Options of {@link createDecoder}. */
export interface DecoderOptions {
  /** Force `'recompute'` (the whole prefix each step; a reference for the cached strategies). Default: the model's best. */
  strategy?: DecodingStrategy;
}

/** Options of {@link Decoder.generate}. */
export interface GenerateOptions {
  /** Tokens to sample after the prompt (an integer ≥ 0). */
  maxNewTokens: number;
  /** Softmax temperature; 0 = greedy (argmax). Default 1. */
  temperature?: number;
  /** Seed of the sampler. Default 0. */
  seed?: number;
}

/**
 * Incremental decoding of a causal LM: `step` feeds one token per sequence and returns the next-token logits,
 * reusing what earlier steps computed (see {@link DecodingStrategy}).
 */
export interface Decoder {
  readonly strategy: DecodingStrategy;
  /** Tokens consumed so far (per sequence). */
  readonly length: number;
  /**
   * int32 token ids `[batch]` (or numbers), each in `[0, vocabSize)`, at position `length` → logits
   * `[batch, vocab]`. Throws, changing nothing, at position `maxSeqLen` (the model's longest sequence).
   */
  step(tokens: tf.Tensor1D | readonly number[]): tf.Tensor2D;
  /** Forgets every token (frees the caches). */
  reset(): void;
  /**
   * Resets, feeds `prompt` (rows of equal length ≥ 1), then samples `maxNewTokens` tokens; returns each row's
   * prompt followed by its new tokens. Prompt length + `maxNewTokens` must be at most the model's
   * `maxSeqLen` (checked before anything runs).
   */
  generate(prompt: tf.Tensor2D | readonly (readonly number[])[], options: GenerateOptions): number[][];
  dispose(): void;
}

/**
 * A {@link Decoder} for a causal LM made by `createModel`/`loadModel`: per layer a dense KV cache, a rolling
 * cache of the last W keys for causal sliding-window block-sparse attention, or the O(1) recurrent state of
 * causal linear attention (Katharopoulos et al. 2020, https://arxiv.org/abs/2006.16236, §3.4); positions
 * continue where the prefix ends (additive offsets, RoPE angles, ALiBi/T5 query offsets). BitNet projections
 * quantise activations per token, so they decode exactly as in the full pass. Tested: every step's logits
 * equal the full forward pass's at that position within float32 tolerance.
 *
 * @example
 * ```ts
 * const decoder = createDecoder(model);
 * const [row] = decoder.generate([[1, 2, 3]], { maxNewTokens: 8, temperature: 0 });
 * decoder.dispose();
 * ```
 */
export function createDecoder(model: TransformerModel, options: DecoderOptions = {}): Decoder {
  const fn = 'createDecoder';
  const m = modelInternals(model);
  assertKnownOptions(fn, options, ['strategy']);
  if (m.config.task !== 'causal-lm') {
    throw new InvalidArgumentError(
      fn,
      'model.config.task',
      "'causal-lm' (only language models decode)",
      m.config.task,
    );
  }
  // Every layer runs the same mechanism, so every layer plans the same way; each instance plans its own cache.
  const plans = m.layers.map((l) => decodingPlan(m.config, l.attention));
  const best = decodingStrategy(plans[0]!);
  const strategy = options.strategy ?? best;
  if (strategy !== best && strategy !== 'recompute') {
    throw new InvalidArgumentError(
      fn,
      'options.strategy',
      `'${best}' (this model's) or 'recompute'`,
      strategy,
    );
  }
  let caches: LayerCache[] = [];
  let history: tf.Tensor2D | undefined;
  let length = 0;
  let batch: number | undefined;
  const vocab = m.config.vocabSize;
  const maxSeqLen = m.config.maxSeqLen;

  const reset = () => {
    for (const c of caches) c.dispose();
    caches = [];
    history?.dispose();
    history = undefined;
    length = 0;
    batch = undefined;
  };

  const step = (tokens: tf.Tensor1D | readonly number[]): tf.Tensor2D => {
    const fn = 'Decoder.step';
    // Every check runs before any state changes: a rejected step leaves the decoder as it was.
    if (length >= maxSeqLen) {
      throw new InvalidArgumentError(
        fn,
        'tokens (position)',
        `at a position < maxSeqLen = ${maxSeqLen} (the model's longest sequence)`,
        length,
        'Call reset() to start a new sequence, or build the model with a larger maxSeqLen.',
      );
    }
    assertLiveTensor(fn, 'tokens', tokens);
    const isTensor = tokens instanceof tf.Tensor;
    const size = isTensor ? tokens.size : Array.isArray(tokens) ? tokens.length : -1;
    if (
      (isTensor && (tokens.rank !== 1 || tokens.dtype !== 'int32')) ||
      size < 1 ||
      (batch !== undefined && size !== batch)
    ) {
      throw new InvalidArgumentError(
        fn,
        'tokens',
        `int32 token ids [${batch ?? 'batch'}] (one per sequence)`,
        tokens,
      );
    }
    // The ids are read once, here (a number array is checked as given: 1.5 or NaN never reach int32).
    assertTokenIds(fn, 'tokens', isTensor ? tokens.dataSync() : (tokens as readonly number[]), [size], vocab);
    const ids = isTensor ? tokens : tf.tensor1d(tokens as number[], 'int32');
    try {
      batch ??= ids.size;
      const position = length;
      let logits: tf.Tensor2D;
      if (strategy === 'recompute') {
        const next = tf.keep(
          tf.tidy(() => {
            const column = tf.reshape(ids, [batch!, 1]);
            return history === undefined ? column.clone() : tf.concat([history, column], 1);
          }),
        ) as tf.Tensor2D;
        history?.dispose();
        history = next;
        logits = tf.tidy(() => {
          const all = model.apply(next);
          return tf.reshape(tf.slice(all, [0, position, 0], [-1, 1, -1]), [batch!, vocab]) as tf.Tensor2D;
        });
      } else {
        if (caches.length === 0) {
          caches = m.layers.map((l, i) => {
            const plan = plans[i]!;
            if (plan.kind === 'recompute') throw new Error('unreachable: recompute keeps no layer cache');
            return createLayerCache(plan, m.config, l.attention);
          });
        }
        logits = tf.tidy(() => {
          let x = m.embed(tf.reshape(ids, [batch!, 1]), position);
          m.layers.forEach((layer, i) => {
            const { q, k, v } = layer.attention.project(layer.attentionInput(x), position);
            const attended = caches[i]!.step(q, k, v, position);
            x = layer.feedForward(tf.add(x, layer.attention.merge(attended)));
          });
          return tf.reshape(m.lmHead(x), [batch!, vocab]) as tf.Tensor2D;
        });
      }
      length++;
      return logits;
    } finally {
      if (ids !== tokens) ids.dispose();
    }
  };

  const decoder: Decoder = {
    strategy,
    get length() {
      return length;
    },
    step,
    reset,
    generate(prompt, generateOptions) {
      const g = 'Decoder.generate';
      assertKnownOptions(g, generateOptions, ['maxNewTokens', 'temperature', 'seed']);
      assertNumber(g, 'options.maxNewTokens', generateOptions.maxNewTokens, { integer: true, min: 0 });
      const temperature = generateOptions.temperature ?? 1;
      assertNumber(g, 'options.temperature', temperature, { min: 0 });
      const seed = generateOptions.seed ?? 0;
      assertNumber(g, 'options.seed', seed, { integer: true });
      assertLiveTensor(g, 'prompt', prompt);
      const promptRows = prompt instanceof tf.Tensor ? (prompt.arraySync() as number[][]) : prompt;
      const width = Array.isArray(promptRows) ? (promptRows[0]?.length ?? 0) : 0;
      if (width === 0 || promptRows.some((row) => !Array.isArray(row) || row.length !== width)) {
        throw new InvalidArgumentError(g, 'prompt', 'rows of equal length ≥ 1', prompt);
      }
      // Up front, so that a too-long request fails before any step runs.
      if (width > maxSeqLen) {
        throw new InvalidArgumentError(g, 'prompt[0].length', `at most maxSeqLen = ${maxSeqLen}`, width);
      }
      if (width + generateOptions.maxNewTokens > maxSeqLen) {
        throw new InvalidArgumentError(
          g,
          'options.maxNewTokens',
          `at most maxSeqLen − prompt length = ${maxSeqLen} − ${width} = ${maxSeqLen - width}`,
          generateOptions.maxNewTokens,
        );
      }
      assertTokenIds(g, 'prompt', promptRows.flat(), [promptRows.length, width], vocab);
      const random = createRandom(seed);
      const rows = promptRows.map((row) => [...row]);
      reset();
      let logits: tf.Tensor2D | undefined;
      for (let t = 0; t < width; t++) {
        logits?.dispose();
        logits = step(rows.map((row) => row[t]!));
      }
      for (let n = 0; n < generateOptions.maxNewTokens; n++) {
        const values = logits!.arraySync();
        const next = values.map((row) => sample(row, temperature, random.uniform()));
        for (const [b, token] of next.entries()) rows[b]!.push(token);
        logits!.dispose();
        logits = n + 1 < generateOptions.maxNewTokens ? step(next) : undefined;
      }
      logits?.dispose();
      return rows;
    },
    dispose: reset,
  };
  return decoder;
}

/** A token from logits: argmax at temperature 0, else inverse-CDF sampling of softmax(logits / T) with `u`. */
function sample(logits: number[], temperature: number, u: number): number {
  if (temperature === 0) return logits.indexOf(Math.max(...logits));
  const max = Math.max(...logits);
  const weights = logits.map((z) => Math.exp((z - max) / temperature));
  let r = u * weights.reduce((a, w) => a + w, 0);
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  return weights.length - 1;
}
