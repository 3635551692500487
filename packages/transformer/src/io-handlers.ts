import { InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { fileSystemIO } from './file-system-io.js';

const FILE_SCHEME = 'file://';
const EXPECTED =
  "an IOHandler, or a URL with a tfjs IO router here: 'file://…' (Node), 'indexeddb://…' (browser), 'http(s)://…'";

function fromString(fn: string, url: string, kind: 'save' | 'load'): tf.io.IOHandler {
  if (url.startsWith(FILE_SCHEME)) return fileSystemIO(url.slice(FILE_SCHEME.length));
  const handlers = kind === 'save' ? tf.io.getSaveHandlers(url) : tf.io.getLoadHandlers(url);
  const handler = handlers[0];
  if (handler === undefined) throw new InvalidArgumentError(fn, 'handler', EXPECTED, url);
  return handler;
}

/**
 * A save handler for a string or handler (tfjs's IO routers: https://www.tensorflow.org/js/guide/save_load);
 * `file://dir` becomes {@link fileSystemIO}.
 *
 * @example
 * ```ts
 * resolveSaveHandler('save', 'indexeddb://my-model'); // tfjs's IndexedDB handler (browser)
 * ```
 */
export function resolveSaveHandler(fn: string, handler: tf.io.IOHandler | string): tf.io.IOHandler {
  const h = typeof handler === 'string' ? fromString(fn, handler, 'save') : handler;
  if (h === null || typeof h !== 'object' || typeof h.save !== 'function') {
    throw new InvalidArgumentError(fn, 'handler', `${EXPECTED}, that can save`, handler);
  }
  return h;
}

/**
 * A load handler for a string or handler; `file://dir` becomes {@link fileSystemIO}, `http(s)://…` tfjs's
 * `http` handler (https://www.tensorflow.org/js/guide/save_load).
 *
 * @example
 * ```ts
 * resolveLoadHandler('load', 'https://example.com/model/model.json');
 * ```
 */
export function resolveLoadHandler(fn: string, handler: tf.io.IOHandler | string): tf.io.IOHandler {
  const h = typeof handler === 'string' ? fromString(fn, handler, 'load') : handler;
  if (h === null || typeof h !== 'object' || typeof h.load !== 'function') {
    throw new InvalidArgumentError(fn, 'handler', `${EXPECTED}, that can load`, handler);
  }
  return h;
}
