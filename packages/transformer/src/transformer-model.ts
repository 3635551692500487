import { rmsNorm } from '@efficient-attention/bitnet';
import {
  assertKnownOptions,
  assertLiveTensor,
  hashSeed,
  InvalidArgumentError,
  type MechanismDefinition,
  seededNormal,
} from '@efficient-attention/core';
import type { PositionalEncoding } from '@efficient-attention/encodings';
import * as tf from '@tensorflow/tfjs-core';
import { attentionProbabilities } from './attention-probabilities.js';
import { resolveSaveHandler } from './io-handlers.js';
import { encodeModelArtifacts } from './model-artifacts.js';
import { type ModelConfig, type ResolvedModelConfig, validateModelConfig } from './model-config.js';
import { transformerRegistries } from './registries.js';
import { tokenCrossEntropy } from './token-cross-entropy.js';
import { trainableVariable } from './trainable-variable.js';
import { createTransformerBlock, type TransformerBlock } from './transformer-block.js';

/** Options of {@link TransformerModel.apply}. */
export interface ApplyOptions {
  /** Training mode. The models have no dropout yet, so it changes nothing today. Default `false`. */
  training?: boolean;
}

/**
 * A small causal language model or sequence classifier built from a {@link ModelConfig}: token embedding
 * (+ additive positions) → `numLayers` pre-norm blocks → RMSNorm → a float head. Functional, over
 * `tf.Variable`s, so the mechanism's own parameters (Linformer E/F, span z, entmax α) train like the rest.
 * Transformer: https://arxiv.org/abs/1706.03762; pre-norm: https://arxiv.org/abs/2002.04745.
 */
export interface TransformerModel {
  /** The validated config, defaults filled in. */
  readonly config: ResolvedModelConfig;
  readonly trainableVariables: tf.Variable[];
  /** int32 tokens `[batch, seq]` → logits: `[batch, seq, vocab]` (causal-lm) or `[batch, numClasses]`. */
  apply(tokens: tf.Tensor2D, options?: ApplyOptions): tf.Tensor;
  /** Mean cross-entropy: LM targets int32 `[batch, seq]` (−1 = ignore), classifier targets `[batch]`. */
  loss(tokens: tf.Tensor2D, targets: tf.Tensor): tf.Scalar;
  /** Regularisers to add to the loss (the adaptive-span penalty); 0 when there are none. */
  auxiliaryLoss(): tf.Scalar;
  /** Per layer, the attention probabilities `[batch, heads, seq, seq]` of the configured mechanism. */
  attentionMaps(tokens: tf.Tensor2D): tf.Tensor4D[];
  /** Number of trainable scalars. */
  parameterCount(): number;
  /** Bytes of every variable as fp32, and as deployed (BitNet projections packed 2-bit + scales). */
  weightBytes(): { float32: number; deployed: number };
  /** Learned quantities per layer (adaptive spans, entmax α, learned ALiBi slopes…), as plain data. */
  inspect(): Record<string, unknown>;
  /** Projects parameters back into their valid range after an optimizer step (clamps adaptive spans). */
  constrain(): void;
  /** Saves the weights and the JSON config (in `modelTopology`) through a tfjs IO handler or URL. */
  save(handler: tf.io.IOHandler | string): Promise<tf.io.SaveResult>;
  /** Variables by stable name (`layers.0.attention.q.weight`…), the names used in saved weights. */
  namedVariables(): ReadonlyArray<readonly [string, tf.Variable]>;
  dispose(): void;
}

/** What the decoder and the IO code need beyond the public surface. */
export interface ModelInternals {
  readonly config: ResolvedModelConfig;
  readonly mechanism: MechanismDefinition;
  readonly positional: PositionalEncoding;
  readonly layers: readonly TransformerBlock[];
  readonly layerSeeds: readonly number[];
  /** Token embeddings plus additive positions starting at `offset` → `[batch, seq, dModel]`. */
  embed(tokens: tf.Tensor, offset: number): tf.Tensor;
  /** Final norm and LM head: `[batch, seq, dModel]` → `[batch, seq, vocab]`. */
  lmHead(h: tf.Tensor): tf.Tensor;
}

const internals = new WeakMap<TransformerModel, ModelInternals>();

/** The internals of a model made by {@link createModel} (package-private). */
export function modelInternals(model: TransformerModel): ModelInternals {
  const m = internals.get(model);
  if (m === undefined) {
    throw new InvalidArgumentError(
      'modelInternals',
      'model',
      'a model made by createModel or loadModel',
      model,
    );
  }
  return m;
}

/**
 * Throws unless every id is an integer in `[0, vocabSize)` (`allowIgnore`: or −1), naming the first
 * offending element by its index (`tokens[1, 4]`), the range and the value. An id outside the vocabulary
 * would otherwise embed as a zero row (tf.oneHot), silently.
 */
export function assertTokenIds(
  fn: string,
  parameter: string,
  ids: ArrayLike<number>,
  shape: readonly number[],
  vocabSize: number,
  { allowIgnore = false, what = 'a token id' }: { allowIgnore?: boolean; what?: string } = {},
): void {
  const min = allowIgnore ? -1 : 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (Number.isInteger(id) && id >= min && id < vocabSize) continue;
    const width = shape.length === 2 ? shape[1]! : 0;
    const at = width > 0 ? `[${Math.floor(i / width)}, ${i % width}]` : `[${i}]`;
    throw new InvalidArgumentError(
      fn,
      `${parameter}${at}`,
      `${what}, an integer in [0, ${vocabSize})${allowIgnore ? ' or −1 (ignore)' : ''}`,
      id,
    );
  }
}

/** Values of a small variable, for `inspect()`. */
const valuesOf = (v: tf.Tensor): number[] => Array.from(v.dataSync());

/**
 * Builds a model from a config (validated first, see {@link validateModelConfig}). Mechanisms and encodings
 * come from this package's private registries ({@link transformerRegistries}); nothing global is mutated.
 * Every initial value is drawn from `config.seed`, so equal configs give equal models.
 * Transformer: https://arxiv.org/abs/1706.03762.
 *
 * @example
 * ```ts
 * const model = createModel({ task: 'causal-lm', vocabSize: 16, maxSeqLen: 32, dModel: 32, numHeads: 4, numLayers: 2,
 *   attention: { mechanism: 'dense' }, positional: { encoding: 'rope' }, seed: 0 });
 * const logits = model.apply(tf.tensor2d([[1, 2, 3]], undefined, 'int32')); // [1, 3, 16]
 * model.dispose();
 * ```
 */
export function createModel(config: ModelConfig): TransformerModel {
  const c = validateModelConfig(config);
  const { mechanisms, encodings } = transformerRegistries();
  const mechanism = mechanisms.get(c.attention.mechanism);
  const headDim = c.dModel / c.numHeads;
  const named: Array<[string, tf.Variable]> = [];
  const owned: Array<{ dispose(): void }> = [];
  try {
    const embedding = trainableVariable(() => seededNormal([c.vocabSize, c.dModel], hashSeed(c.seed, 1), 1));
    owned.push(embedding);
    named.push(['embedding', embedding]);
    const positional = encodings.get(c.positional.encoding).create(c.positional.config, {
      modelDim: c.dModel,
      heads: c.numHeads,
      headDim,
      maxLength: c.maxSeqLen,
      seed: hashSeed(c.seed, 3),
    });
    owned.push(positional);
    for (const [k, v] of Object.entries(positional.variables)) named.push([`positional.${k}`, v]);
    const layerSeeds = Array.from({ length: c.numLayers }, (_, i) => hashSeed(c.seed, 1000 + i));
    const layers = layerSeeds.map((seed, i) => {
      const block = createTransformerBlock({
        dModel: c.dModel,
        heads: c.numHeads,
        mechanism,
        mechanismConfig: c.attention.config,
        positional,
        projections: c.projections,
        causal: c.causal,
        ...(c.attention.mask === undefined ? {} : { mask: c.attention.mask }),
        maxSeqLen: c.maxSeqLen,
        seed,
        ffnDim: Math.round(c.dModel * c.ffnMultiplier),
      });
      owned.push(block);
      const p = `layers.${i}`;
      const a = block.attention;
      for (const [slot, proj] of Object.entries(a.projections)) {
        for (const [k, v] of Object.entries(proj.variables)) named.push([`${p}.attention.${slot}.${k}`, v]);
      }
      for (const [k, v] of Object.entries(a.instance.params))
        named.push([`${p}.attention.mechanism.${k}`, v]);
      named.push([`${p}.attentionNorm.gain`, block.attentionNormGain]);
      for (const [slot, proj] of [
        ['in', block.ffnIn],
        ['out', block.ffnOut],
      ] as const) {
        for (const [k, v] of Object.entries(proj.variables)) named.push([`${p}.ffn.${slot}.${k}`, v]);
      }
      named.push([`${p}.ffnNorm.gain`, block.ffnNormGain]);
      return block;
    });
    const finalNormGain = trainableVariable(() => tf.ones([c.dModel]));
    owned.push(finalNormGain);
    named.push(['finalNorm.gain', finalNormGain]);
    const outputs = c.task === 'causal-lm' ? c.vocabSize : c.numClasses!;
    const headWeight = trainableVariable(() =>
      seededNormal([c.dModel, outputs], hashSeed(c.seed, 2), 1 / Math.sqrt(c.dModel)),
    );
    const headBias = trainableVariable(() => tf.zeros([outputs]));
    owned.push(headWeight, headBias);
    named.push(['head.weight', headWeight], ['head.bias', headBias]);

    const fixedLength = mechanism.capabilities.requiresFixedLength;
    const checkTokens = (fn: string, tokens: unknown): tf.Tensor2D => {
      const t = tokens as tf.Tensor;
      assertLiveTensor(fn, 'tokens', t);
      const ok = t instanceof tf.Tensor && t.rank === 2 && t.dtype === 'int32' && t.size > 0;
      if (!ok) throw new InvalidArgumentError(fn, 'tokens', 'a non-empty int32 tensor [batch, seq]', tokens);
      const n = t.shape[1]!;
      if (fixedLength ? n !== c.maxSeqLen : n > c.maxSeqLen) {
        throw new InvalidArgumentError(
          fn,
          'tokens.shape[1] (seq)',
          fixedLength
            ? `exactly maxSeqLen = ${c.maxSeqLen} ('${mechanism.name}' is built for one sequence length)`
            : `at most maxSeqLen = ${c.maxSeqLen}`,
          n,
        );
      }
      // The ids are read once per call (apply, loss and attentionMaps check, then run unchecked).
      assertTokenIds(fn, 'tokens', t.dataSync(), t.shape, c.vocabSize);
      return t as tf.Tensor2D;
    };
    const embed = (tokens: tf.Tensor, offset: number) =>
      tf.tidy(() => {
        // One-hot × table instead of gather: tfjs-wasm has no UnsortedSegmentSum, gather's gradient. The
        // one-hot is cast, not made float32 by oneHot's dtype argument: tfjs-wasm 4.22 then returns zeros.
        const [b, n] = tokens.shape as [number, number];
        const oneHot = tf.cast(tf.oneHot(tf.reshape(tokens, [-1]), c.vocabSize), 'float32');
        const x = tf.reshape(tf.matMul(oneHot, embedding), [b, n, c.dModel]);
        return positional.kind === 'additive' ? positional.apply(x, { offset }) : x;
      });
    const headOf = (h: tf.Tensor) =>
      tf.tidy(() => {
        const d = h.shape[h.rank - 1]!;
        const rows = tf.matMul(tf.reshape(h, [-1, d]), headWeight);
        return tf.reshape(tf.add(rows, headBias), [...h.shape.slice(0, -1), outputs]);
      });
    const lmHead = (h: tf.Tensor) => tf.tidy(() => headOf(rmsNorm(h, { gain: finalNormGain })));
    const trunk = (tokens: tf.Tensor) =>
      tf.tidy(() => layers.reduce((x, block) => block.apply(x), embed(tokens, 0)));
    /** Logits of checked tokens. */
    const forward = (tokens: tf.Tensor2D): tf.Tensor =>
      tf.tidy(() => {
        const h = trunk(tokens);
        if (c.task === 'causal-lm') return lmHead(h);
        const normed = rmsNorm(h, { gain: finalNormGain });
        const pooled =
          c.pooling === 'first'
            ? tf.squeeze(tf.slice(normed, [0, 0, 0], [-1, 1, -1]), [1])
            : tf.mean(normed, 1);
        return headOf(pooled);
      });
    const instances = layers.map((l) => l.attention.instance);
    const regularizationWeight =
      mechanism.regularization === undefined
        ? 0
        : (c.regularization[mechanism.regularization.key] ?? mechanism.regularization.defaultWeight);

    let disposed = false;
    const model: TransformerModel = {
      config: c,
      trainableVariables: named.map(([, v]) => v).filter((v) => v.trainable),
      apply(tokens, options = {}) {
        assertKnownOptions('TransformerModel.apply', options, ['training']);
        return forward(checkTokens('TransformerModel.apply', tokens));
      },
      loss(tokens, targets) {
        const fn = 'TransformerModel.loss';
        checkTokens(fn, tokens);
        const [b, n] = tokens.shape;
        const expected = c.task === 'causal-lm' ? [b, n] : [b];
        assertLiveTensor(fn, 'targets', targets);
        if (!(targets instanceof tf.Tensor) || targets.shape.join() !== expected.join()) {
          throw new InvalidArgumentError(
            fn,
            'targets',
            `an integer tensor [${expected.join(', ')}] (−1 = ignore)`,
            targets,
          );
        }
        assertTokenIds(fn, 'targets', targets.dataSync(), targets.shape, outputs, {
          allowIgnore: true,
          what: c.task === 'causal-lm' ? 'a token id' : 'a class index',
        });
        return tf.tidy(() => tokenCrossEntropy(forward(tokens), targets));
      },
      auxiliaryLoss() {
        if (regularizationWeight === 0) return tf.scalar(0);
        // Each layer's term at weight / L: the model's penalty is the weight times the mean over every
        // layer's heads (all layers have as many heads).
        const perLayer = regularizationWeight / instances.length;
        return tf.tidy(() =>
          tf.addN(instances.map((instance) => instance.auxiliaryLoss?.(perLayer) ?? tf.scalar(0))),
        ) as tf.Scalar;
      },
      attentionMaps(tokens) {
        checkTokens('TransformerModel.attentionMaps', tokens);
        return tf.tidy(() => {
          const maps: tf.Tensor4D[] = [];
          let x = embed(tokens, 0);
          const n = tokens.shape[1];
          for (const block of layers) {
            const { q, k } = block.attention.project(block.attentionInput(x), 0);
            maps.push(
              attentionProbabilities(block.attention.instance, q, k, block.attention.applyOptions(n, n)),
            );
            x = block.apply(x);
          }
          return maps;
        });
      },
      parameterCount: () => model.trainableVariables.reduce((s, v) => s + v.size, 0),
      weightBytes() {
        let float32 = 0;
        let deployed = 0;
        const inProjection = new Set<tf.Variable>();
        for (const block of layers) {
          for (const p of [...Object.values(block.attention.projections), block.ffnIn, block.ffnOut]) {
            const bytes = p.bytes();
            float32 += bytes.float32;
            deployed += bytes.deployed;
            for (const v of Object.values(p.variables)) inProjection.add(v);
          }
        }
        for (const [, v] of named) {
          if (inProjection.has(v)) continue;
          float32 += 4 * v.size;
          deployed += 4 * v.size;
        }
        return { float32, deployed };
      },
      inspect() {
        const layerInfo = instances.map((instance) => {
          // The instance says what its parameters mean (spans, α…); otherwise report them raw.
          if (instance.inspect !== undefined) return instance.inspect();
          const info: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(instance.params)) {
            info[k] = v.size <= 64 ? valuesOf(v) : { shape: v.shape };
          }
          return info;
        });
        const positionalInfo: Record<string, unknown> = { encoding: positional.name, kind: positional.kind };
        for (const [k, v] of Object.entries(positional.variables)) {
          positionalInfo[k] = v.size <= 64 ? valuesOf(v) : { shape: v.shape };
        }
        return {
          mechanism: mechanism.name,
          projections: c.projections,
          parameterCount: model.parameterCount(),
          positional: positionalInfo,
          layers: layerInfo,
        };
      },
      constrain() {
        for (const instance of instances) instance.constrain?.();
      },
      async save(handler) {
        const target = resolveSaveHandler('TransformerModel.save', handler);
        const artifacts = await encodeModelArtifacts(c, named);
        return target.save!(artifacts);
      },
      namedVariables: () => named,
      dispose() {
        if (disposed) return;
        disposed = true;
        for (const o of owned) o.dispose();
      },
    };
    internals.set(model, { config: c, mechanism, positional, layers, layerSeeds, embed, lmHead });
    return model;
  } catch (e) {
    for (const o of owned) o.dispose();
    throw e;
  }
}
