import { InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { resolveLoadHandler, resolveSaveHandler } from './io-handlers.js';

it('resolves file:// to fileSystemIO, http(s):// to tfjs’s http handler, and rejects the rest', () => {
  const file = resolveSaveHandler('save', 'file:///tmp/x');
  expect(typeof file.save).toBe('function');
  expect(typeof resolveLoadHandler('load', 'file:///tmp/x').load).toBe('function');
  expect(typeof resolveLoadHandler('load', 'https://example.com/model.json').load).toBe('function');
  expect(() => resolveSaveHandler('save', 'indexeddb://m')).toThrow(InvalidArgumentError);
  expect(() => resolveLoadHandler('load', 'gs://bucket/m')).toThrow(
    /`handler` must be an IOHandler, or a URL/,
  );
  const loadOnly = tf.io.fromMemory({ modelTopology: {} });
  expect(() => resolveSaveHandler('save', loadOnly)).toThrow(/that can save/);
});
