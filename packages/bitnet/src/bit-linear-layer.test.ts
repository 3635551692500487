import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { bitLinear } from './bit-linear.js';
import { BitLinear, registerBitLinearLayer } from './bit-linear-layer.js';
import { registerBitnetKernels } from './register-bitnet-kernels.js';

describe('registerBitLinearLayer', () => {
  it('adds BitLinear to the serialisation registry only when called', () => {
    const map = () => tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map().BitLinear).toBeUndefined();
    registerBitLinearLayer();
    registerBitLinearLayer(); // harmless twice
    expect(map().BitLinear?.[0]).toBe(BitLinear);
  });
});

describeBackends('BitLinear layer', (backend) => {
  it('computes bitLinear with its kernel and gain, on [batch, seq, dIn] inputs', () => {
    const layer = new BitLinear({ units: 6, seed: 3 });
    const x = seededTensor([2, 5, 12], 1);
    const y = layer.apply(x.tensor) as tf.Tensor;
    expect(y.shape).toEqual([2, 5, 6]);
    expect(layer.kernel!.shape).toEqual([12, 6]);
    expect(layer.gain!.shape).toEqual([12]);
    expect(layer.trainableWeights.map((w) => w.name)).toEqual([
      expect.stringMatching(/kernel$/),
      expect.stringMatching(/gain$/),
    ]);
    const expected = bitLinear(x.tensor, layer.kernel!.read(), { gain: layer.gain!.read() });
    expectTensorsClose(y, expected, { atol: 0, rtol: 0 });
    // Glorot-uniform initialisation from the seed: bounded by √(6 / (12 + 6)), reproducible, seed-dependent.
    const k = layer.kernel!.read().dataSync();
    expect(k.every((v) => Math.abs(v) <= Math.sqrt(6 / 18))).toBe(true);
    const build = (l: BitLinear) => tf.dispose(l.apply(tf.zeros([1, 12])) as tf.Tensor);
    const again = new BitLinear({ units: 6, seed: 3 });
    build(again);
    expect(Array.from(again.kernel!.read().dataSync())).toEqual(Array.from(k));
    const other = new BitLinear({ units: 6, seed: 4 });
    build(other);
    expect(Array.from(other.kernel!.read().dataSync())).not.toEqual(Array.from(k));
    expectNoLeaks(() => layer.apply(x.tensor) as tf.Tensor);
    tf.dispose([x.tensor, y, expected]);
    for (const l of [layer, again, other]) l.dispose();
  });

  it('round-trips through JSON serialisation (getConfig + registerClass) with identical outputs', async () => {
    registerBitLinearLayer();
    const model = tfl.sequential({
      layers: [
        new BitLinear({ units: 8, inputShape: [10], seed: 1, weightBits: 1, ste: 'clipped' }),
        new BitLinear({ units: 3, seed: 2, normalize: false, epsilon: 1e-5 }),
      ],
    });
    const json = model.toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'];
    const restored = (await tfl.models.modelFromJSON({ modelTopology: json })) as tfl.LayersModel;
    restored.setWeights(model.getWeights());
    const second = restored.layers[1] as BitLinear;
    expect(restored.layers[0]).toBeInstanceOf(BitLinear);
    expect([second.units, second.normalize, second.epsilon, second.weightBits]).toEqual([
      3,
      false,
      1e-5,
      1.58,
    ]);
    expect((restored.layers[0] as BitLinear).getConfig()).toMatchObject({
      weightBits: 1,
      ste: 'clipped',
      seed: 1,
    });
    const x = seededTensor([4, 10], 7);
    const a = model.predict(x.tensor) as tf.Tensor;
    const b = restored.predict(x.tensor) as tf.Tensor;
    expectTensorsClose(b, a, { atol: 0, rtol: 0 });
    tf.dispose([x.tensor, a, b]);
    model.dispose();
    restored.dispose();
  });

  it(`runs packed inference equal to its training forward up to float32 rounding (${backend})`, () => {
    if (backend === 'cpu') registerBitnetKernels();
    const layer = new BitLinear({ units: 9, seed: 5 });
    const x = seededTensor([3, 4, 40], 8);
    const y = layer.apply(x.tensor) as tf.Tensor;
    for (const format of ['i2s', 'tq1'] as const) {
      const packed = layer.packWeights(format);
      const fast = layer.applyPacked(x.tensor, packed);
      // Same integer codes; float32 rounding order differs: atol 1e-5·dIn·max|y|.
      const scale = tf.tidy(() => tf.max(tf.abs(y)).dataSync()[0]!);
      expectTensorsClose(fast, y, { atol: 1e-5 * 40 * scale, rtol: 0 });
      fast.dispose();
      packed.dispose();
    }
    tf.dispose([x.tensor, y]);
    layer.dispose();
  });

  it('trains inside a tfjs-layers model (loss falls on a seeded regression)', async () => {
    const model = tfl.sequential({
      layers: [
        new BitLinear({ units: 16, inputShape: [8], seed: 11 }),
        new BitLinear({ units: 1, seed: 12 }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const x = seededTensor([64, 8], 21);
    // Target: a fixed linear function of the inputs.
    const y = tf.tidy(() => tf.matMul(x.tensor, tf.tensor2d([1, -1, 0.5, 0, 0.25, -0.5, 1, 0], [8, 1])));
    const history = await model.fit(x.tensor, y, { epochs: 25, batchSize: 16, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    // The first epoch's loss over the last one: a clear drop (measured ≈ 24× on cpu and wasm; asserted ≥ 5×).
    expect(losses[0]! / losses[losses.length - 1]!).toBeGreaterThan(5);
    tf.dispose([x.tensor, y]);
    model.dispose();
  });

  it('rejects bad arguments with errors naming the parameter', () => {
    expect(() => new BitLinear({} as { units: number })).toThrow(
      /BitLinear: `args.units` must be an integer ≥ 1, received undefined/,
    );
    expect(() => new BitLinear({ units: 2, weightBits: 2 as 1 })).toThrow(
      /`args.weightBits` must be 1 or 1.58/,
    );
    expect(() => new BitLinear({ units: 2, activation: 'relu' } as { units: number })).toThrow(
      /`options.activation` must be one of the known options/,
    );
    expect(() => new BitLinear({ units: 2, seed: 0.5 })).toThrow(/`args.seed` must be an integer/);
    const layer = new BitLinear({ units: 2 });
    expect(() => layer.packWeights()).toThrow(/a built layer/);
    const vector = tf.ones([3]);
    expect(() => layer.apply(vector)).toThrow(/expected min_ndim=2, found ndim=1/);
    vector.dispose();
  });
});
