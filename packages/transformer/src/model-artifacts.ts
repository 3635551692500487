import { InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedModelConfig } from './model-config.js';

/**
 * The `format` field of saved transformer artifacts (tfjs model artifacts:
 * https://www.tensorflow.org/js/guide/save_load).
 *
 * @example
 * ```ts
 * const artifacts = await handler.load();
 * if (artifacts.format === ARTIFACTS_FORMAT) await loadModel(handler);
 * ```
 */
export const ARTIFACTS_FORMAT = 'efficient-attention/transformer';

/**
 * Model artifacts in tfjs's format (https://www.tensorflow.org/js/guide/save_load): the JSON config in
 * `modelTopology.modelConfig`, the variables as named float32 weights.
 *
 * @example
 * ```ts
 * const artifacts = await encodeModelArtifacts(model.config, model.namedVariables());
 * artifacts.modelTopology; // { modelConfig: { task: 'causal-lm', … } }
 * ```
 */
export async function encodeModelArtifacts(
  config: ResolvedModelConfig,
  variables: ReadonlyArray<readonly [string, tf.Tensor]>,
): Promise<tf.io.ModelArtifacts> {
  const { data, specs } = await tf.io.encodeWeights(variables.map(([name, tensor]) => ({ name, tensor })));
  return {
    modelTopology: { modelConfig: JSON.parse(JSON.stringify(config)) },
    format: ARTIFACTS_FORMAT,
    generatedBy: '@efficient-attention/transformer',
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
  };
}

/**
 * Reads the config and weights back from {@link encodeModelArtifacts}' artifacts; throws with what is
 * missing when the artifacts came from something else (a tfjs-layers model, say).
 *
 * @example
 * ```ts
 * const { config, weights } = decodeModelArtifacts(await handler.load());
 * ```
 */
export function decodeModelArtifacts(
  fn: string,
  artifacts: tf.io.ModelArtifacts,
): { config: unknown; weights: tf.NamedTensorMap } {
  const topology = artifacts.modelTopology as { modelConfig?: unknown } | ArrayBuffer | undefined;
  if (
    artifacts.format !== ARTIFACTS_FORMAT ||
    topology === undefined ||
    topology instanceof ArrayBuffer ||
    topology.modelConfig === undefined
  ) {
    throw new InvalidArgumentError(
      fn,
      'artifacts.format',
      `"${ARTIFACTS_FORMAT}" with a modelTopology.modelConfig (artifacts saved by TransformerModel.save)`,
      artifacts.format,
    );
  }
  if (artifacts.weightSpecs === undefined || artifacts.weightData === undefined) {
    throw new InvalidArgumentError(fn, 'artifacts.weightData', 'the saved weights', artifacts.weightData);
  }
  return {
    config: topology.modelConfig,
    weights: tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs),
  };
}
