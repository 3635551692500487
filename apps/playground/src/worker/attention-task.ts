import * as tf from '@tensorflow/tfjs-core';
import { attentionComparison, type DecodedModel, decodeModel } from './attention-comparison.js';
import type { AttentionArgs, AttentionResult } from './protocol.js';

async function fetchModel(url: string): Promise<DecodedModel> {
  const handler = tf.io.http(url);
  if (handler.load === undefined) throw new Error(`No way to load ${url}.`);
  return decodeModel(await handler.load());
}

/** The worker's attention task: fetches the exported models and compares their attention maps. */
export async function attentionTask(
  args: AttentionArgs,
  checkpoint: () => Promise<void>,
  progress: (done: number, total: number) => void,
): Promise<AttentionResult> {
  const dense = await fetchModel(args.denseUrl);
  const trained = [];
  for (const t of args.trained) {
    await checkpoint();
    trained.push({ family: t.family, model: await fetchModel(t.url) });
  }
  try {
    return await attentionComparison(dense, trained, args, async (done, total) => {
      progress(done, total);
      await checkpoint();
    });
  } finally {
    tf.dispose(dense.weights);
    for (const t of trained) tf.dispose(t.model.weights);
  }
}
