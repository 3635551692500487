import {
  assertKnownOptions,
  assertNumber,
  createRandom,
  hashSeed,
  InvalidArgumentError,
  type TernaryPackingFormat,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { bitLinear } from './bit-linear.js';
import { bitLinearPacked, type PackedBitLinearWeights, packBitLinearWeights } from './packed-bit-linear.js';
import type { WeightBits, WeightSte } from './weight-quantization.js';

/** tfjs-layers' own layer arguments (name, inputShape, batchInputShape, dtype, trainable, …). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Arguments of the {@link BitLinear} layer. */
export interface BitLinearArgs extends LayerArgs {
  /** dOut: output features. Required. */
  units: number;
  /** `1` (BitNet) or `1.58` (BitNet b1.58). Default `1.58`. */
  weightBits?: WeightBits;
  /** RMSNorm (SubLN) with a learnable gain before quantising the input. Default `true`. */
  normalize?: boolean;
  /** RMSNorm's ε. Default `1e-6`. */
  epsilon?: number;
  /** The weights' straight-through estimator. Default `'identity'`. */
  ste?: WeightSte;
  /**
   * Seed of the latent weights' Glorot-uniform initialisation (drawn with core's `createRandom`).
   * Default: a hash of the layer's name, so that layers of one model start different but reproducibly.
   */
  seed?: number;
}

const LAYER_ARG_KEYS = [
  'inputShape',
  'batchInputShape',
  'batchSize',
  'dtype',
  'name',
  'trainable',
  'weights',
  'inputDType',
  // tfjs-layers' deserialiser adds this key to every layer config it rebuilds.
  'customObjects',
] as const;
const BIT_LINEAR_ARG_KEYS = ['units', 'weightBits', 'normalize', 'epsilon', 'ste', 'seed'] as const;

function seedFromName(name: string): number {
  return hashSeed(...Array.from(name, (c) => c.codePointAt(0)!));
}

/**
 * BitLinear as a tfjs-layers layer (BitNet, Wang et al. 2023, https://arxiv.org/abs/2310.11453; BitNet
 * b1.58, Ma et al. 2024, https://arxiv.org/abs/2402.17764): RMSNorm with a learnable `gain` `[dIn]`, int8
 * absmax activations, binary or ternary weights quantised from latent float `kernel` `[dIn, units]`, no
 * bias; trains through straight-through estimators (see {@link bitLinear}). Input `[..., dIn]`, output
 * `[..., units]`.
 *
 * Serialisable (`getConfig`, `className = 'BitLinear'`). tfjs-layers' built-in layers register their class
 * with `tf.serialization.registerClass` when their module loads; this package keeps `sideEffects: false`,
 * so call {@link registerBitLinearLayer} once before loading a saved model that contains BitLinear layers.
 *
 * @example
 * ```ts
 * import * as tfl from '@tensorflow/tfjs-layers';
 * registerBitLinearLayer();
 * const model = tfl.sequential({
 *   layers: [new BitLinear({ units: 64, inputShape: [32], seed: 1 }), new BitLinear({ units: 4, seed: 2 })],
 * });
 * model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
 * ```
 */
export class BitLinear extends tfl.layers.Layer {
  /** The serialisation name. */
  static readonly className = 'BitLinear';
  readonly units: number;
  readonly weightBits: WeightBits;
  readonly normalize: boolean;
  readonly epsilon: number;
  readonly ste: WeightSte;
  readonly seed: number;
  /** The latent float weights `[dIn, units]` (set by `build`). */
  kernel: tfl.LayerVariable | null = null;
  /** RMSNorm's gain `[dIn]` (set by `build` when `normalize`). */
  gain: tfl.LayerVariable | null = null;

  constructor(args: BitLinearArgs) {
    const fn = 'BitLinear';
    assertKnownOptions(fn, args, [...LAYER_ARG_KEYS, ...BIT_LINEAR_ARG_KEYS]);
    if (args === undefined) throw new InvalidArgumentError(fn, 'args', 'an object with `units`', args);
    super(args);
    assertNumber(fn, 'args.units', args.units, { integer: true, min: 1 });
    this.units = args.units;
    this.weightBits = args.weightBits ?? 1.58;
    if (this.weightBits !== 1 && this.weightBits !== 1.58) {
      throw new InvalidArgumentError(fn, 'args.weightBits', '1 or 1.58', this.weightBits);
    }
    this.normalize = args.normalize ?? true;
    if (typeof this.normalize !== 'boolean') {
      throw new InvalidArgumentError(fn, 'args.normalize', 'a boolean', this.normalize);
    }
    this.epsilon = args.epsilon ?? 1e-6;
    assertNumber(fn, 'args.epsilon', this.epsilon, { positive: true });
    this.ste = args.ste ?? 'identity';
    if (this.ste !== 'identity' && this.ste !== 'clipped') {
      throw new InvalidArgumentError(fn, 'args.ste', '"identity" or "clipped"', this.ste);
    }
    this.seed = args.seed ?? seedFromName(this.name);
    assertNumber(fn, 'args.seed', this.seed, { integer: true });
    this.inputSpec = [{ minNDim: 2 }];
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const dIn = shape[shape.length - 1];
    if (typeof dIn !== 'number') {
      throw new InvalidArgumentError(
        'BitLinear.build',
        'inputShape',
        'a known last dimension [..., dIn]',
        shape,
      );
    }
    // Glorot-uniform from core's seeded generator (tfjs-layers' initialisers use another RNG).
    const limit = Math.sqrt(6 / (dIn + this.units));
    const init = createRandom(this.seed).uniformArray(dIn * this.units, -limit, limit);
    this.kernel = this.addWeight(
      'kernel',
      [dIn, this.units],
      'float32',
      tfl.initializers.zeros(),
      undefined,
      true,
    );
    tf.tidy(() => {
      this.kernel!.write(tf.tensor2d(init, [dIn, this.units]));
    });
    if (this.normalize) {
      this.gain = this.addWeight('gain', [dIn], 'float32', tfl.initializers.ones(), undefined, true);
    }
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: dIn } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return bitLinear(x, this.kernel!.read(), {
      weightBits: this.weightBits,
      normalize: this.normalize,
      epsilon: this.epsilon,
      ste: this.ste,
      ...(this.gain !== null ? { gain: this.gain.read() } : {}),
    });
  }

  /**
   * Quantizes and packs the current latent weights for inference with {@link bitLinearPacked} (2 bits per
   * weight in `'i2s'`, 1.6 in `'tq1'`). Dispose the result when done.
   */
  packWeights(format: TernaryPackingFormat = 'i2s'): PackedBitLinearWeights {
    if (this.kernel === null) {
      throw new InvalidArgumentError(
        'BitLinear.packWeights',
        'this',
        'a built layer (call it once first)',
        'an unbuilt layer',
      );
    }
    return packBitLinearWeights(this.kernel.read(), { weightBits: this.weightBits, format });
  }

  /** The layer's forward pass on packed weights (from {@link BitLinear.packWeights}): the integer kernel path. */
  applyPacked(x: tf.Tensor, packed: PackedBitLinearWeights): tf.Tensor {
    return bitLinearPacked(x, packed, {
      normalize: this.normalize,
      epsilon: this.epsilon,
      ...(this.gain !== null ? { gain: this.gain.read() } : {}),
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      weightBits: this.weightBits,
      normalize: this.normalize,
      epsilon: this.epsilon,
      ste: this.ste,
      seed: this.seed,
    };
  }
}

/**
 * Registers {@link BitLinear} with tfjs's serialisation registry (`tf.serialization.registerClass`), so
 * that `tfl.loadLayersModel` / `tfl.models.modelFromJSON` can rebuild models containing it. Explicit
 * rather than on import (this package has `sideEffects: false`); calling it again is harmless. BitNet,
 * https://arxiv.org/abs/2310.11453.
 *
 * @example
 * ```ts
 * registerBitLinearLayer();
 * const model = await tfl.loadLayersModel('file://model/model.json');
 * ```
 */
export function registerBitLinearLayer(): void {
  tf.serialization.registerClass(BitLinear);
}
