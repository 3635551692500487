import { InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { resolveLoadHandler } from './io-handlers.js';
import { decodeModelArtifacts } from './model-artifacts.js';
import type { ModelConfig } from './model-config.js';
import { createModel, type TransformerModel } from './transformer-model.js';

/**
 * Loads a model saved by {@link TransformerModel.save}: rebuilds it from the saved JSON config, then
 * assigns every saved weight (each must exist, with the same shape). Random buffers that are not
 * variables (FAVOR+ features, LSH rotations) are redrawn from the config's seed, so they match.
 * tfjs IO: https://www.tensorflow.org/js/guide/save_load.
 *
 * @example
 * ```ts
 * const model = await loadModel('file:///tmp/my-model'); // Node; 'indexeddb://my-model' in a browser
 * ```
 */
export async function loadModel(handler: tf.io.IOHandler | string): Promise<TransformerModel> {
  const fn = 'loadModel';
  const artifacts = await resolveLoadHandler(fn, handler).load!();
  const { config, weights } = decodeModelArtifacts(fn, artifacts);
  try {
    const model = createModel(config as ModelConfig);
    try {
      const byName = new Map(model.namedVariables());
      for (const [name, variable] of byName) {
        const w = weights[name];
        if (w === undefined || w.shape.join() !== variable.shape.join()) {
          throw new InvalidArgumentError(
            fn,
            `weights["${name}"]`,
            `a tensor of shape [${variable.shape.join(', ')}]`,
            w,
          );
        }
        variable.assign(w);
      }
      const extra = Object.keys(weights).filter((n) => !byName.has(n));
      if (extra.length > 0) {
        throw new InvalidArgumentError(fn, 'weights', 'only the variables of the saved config', extra);
      }
      return model;
    } catch (e) {
      model.dispose();
      throw e;
    }
  } finally {
    tf.dispose(weights);
  }
}
