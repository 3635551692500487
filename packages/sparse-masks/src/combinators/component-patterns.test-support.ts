/** Random small patterns for the combinator tests: every built-in kind, plus a plain predicate without enumerator. */
import type { MaskMod } from '@efficient-attention/core';
import * as fc from 'fast-check';
import { attentionSink } from '../patterns/attention-sink.js';
import { blockLocal } from '../patterns/block-local.js';
import { causal } from '../patterns/causal.js';
import { dilatedSlidingWindow } from '../patterns/dilated-sliding-window.js';
import { fixed } from '../patterns/fixed.js';
import { globalTokens } from '../patterns/global-tokens.js';
import { prefixLM } from '../patterns/prefix-lm.js';
import { randomPattern } from '../patterns/random-pattern.js';
import { slidingWindow } from '../patterns/sliding-window.js';
import { strided } from '../patterns/strided.js';

/** Builds the `kind`-th component for the given lengths (all valid for them, cross-attention included). */
export function component(kind: number, qLen: number, kvLen: number, p: number): MaskMod {
  switch (kind % 11) {
    case 0:
      return causal({ qLen, kvLen });
    case 1:
      return slidingWindow({ before: p % 7, after: (p >> 3) % 5 });
    case 2:
      return dilatedSlidingWindow({ radius: p % 4, dilation: 1 + (p % 3) });
    case 3:
      return globalTokens({ indices: [p % Math.max(qLen, kvLen)] });
    case 4:
      return randomPattern({ kvLen, perRow: p % (kvLen + 1), seed: p, perHead: p % 2 === 0 });
    case 5:
      return blockLocal({ size: 1 + (p % 9) });
    case 6:
      return strided({ stride: 1 + (p % 5), causal: p % 2 === 0 });
    case 7:
      return fixed({ stride: 2 + (p % 4), summary: 1 });
    case 8:
      return prefixLM({ prefixLength: p % 20 });
    case 9:
      return attentionSink({ sinks: p % 3, window: p % 6 });
    default:
      // A plain predicate that depends on the head and has no enumerator.
      return (_b, h, q, kv) => (q * 7 + kv * 3 + h + p) % 4 !== 0;
  }
}

/** Lengths, a block size and two or three components. */
export function componentArbitrary() {
  return fc
    .record({
      qLen: fc.integer({ min: 1, max: 40 }),
      kvLen: fc.integer({ min: 1, max: 40 }),
      blockSize: fc.integer({ min: 1, max: 36 }),
      kinds: fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 2, maxLength: 3 }),
      p: fc.integer({ min: 0, max: 1000 }),
    })
    .map((r) => ({
      qLen: r.qLen,
      kvLen: r.kvLen,
      blockSize: r.blockSize,
      seed: r.p,
      parts: r.kinds.map((k, i) => component(k, r.qLen, r.kvLen, r.p + 31 * i)),
    }));
}
