import { InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

// Module names in variables: browser bundlers then leave the Node-only imports alone.
const FS_MODULE = 'node:fs/promises';
const PATH_MODULE = 'node:path';

/** File names of a saved model: tfjs's layout (https://www.tensorflow.org/js/guide/save_load). */
const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/**
 * A tfjs IO handler that saves to and loads from a directory in Node: `model.json` (topology, format and
 * weights manifest, the layout of tfjs's `file://` handler, https://www.tensorflow.org/js/guide/save_load)
 * and `weights.bin`. `node:fs` is imported lazily, so the package still bundles for browsers (where
 * calling it fails: use `indexeddb://` or `http(s)://` there).
 *
 * @example
 * ```ts
 * await model.save(fileSystemIO('/tmp/my-model'));
 * const copy = await loadModel(fileSystemIO('/tmp/my-model')); // or loadModel('file:///tmp/my-model')
 * ```
 */
export function fileSystemIO(directory: string): tf.io.IOHandler {
  if (typeof directory !== 'string' || directory.length === 0) {
    throw new InvalidArgumentError('fileSystemIO', 'directory', 'a non-empty path', directory);
  }
  const modules = async () => {
    const fs = (await import(/* @vite-ignore */ FS_MODULE)) as typeof import('node:fs/promises');
    const path = (await import(/* @vite-ignore */ PATH_MODULE)) as typeof import('node:path');
    return { fs, path };
  };
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const { fs, path } = await modules();
      await fs.mkdir(directory, { recursive: true });
      const manifest: tf.io.WeightsManifestConfig = [
        { paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] },
      ];
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: manifest,
        ...(artifacts.format === undefined ? {} : { format: artifacts.format }),
        ...(artifacts.generatedBy === undefined ? {} : { generatedBy: artifacts.generatedBy }),
        ...(artifacts.convertedBy == null ? {} : { convertedBy: artifacts.convertedBy }),
        ...(artifacts.userDefinedMetadata === undefined
          ? {}
          : { userDefinedMetadata: artifacts.userDefinedMetadata }),
      };
      const weights =
        artifacts.weightData === undefined
          ? new ArrayBuffer(0)
          : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      await fs.writeFile(path.join(directory, WEIGHTS_BIN), new Uint8Array(weights));
      await fs.writeFile(path.join(directory, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const { fs, path } = await modules();
      const modelJson = JSON.parse(
        await fs.readFile(path.join(directory, MODEL_JSON), 'utf8'),
      ) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = tf.io.getWeightSpecs(manifest);
        const buffers = await Promise.all(
          manifest.flatMap((group) =>
            group.paths.map(async (p) => {
              const bytes = await fs.readFile(path.join(directory, p));
              return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
            }),
          ),
        );
        return [specs, buffers.length === 1 ? buffers[0]! : buffers];
      });
    },
  };
}
