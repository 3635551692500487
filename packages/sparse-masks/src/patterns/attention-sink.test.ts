import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { attentionSink } from './attention-sink.js';

describe('attentionSink', () => {
  it('allows the first `sinks` keys and a causal window', () => {
    expectPicture(
      attentionSink({ sinks: 1, window: 1 }),
      `
      █·····
      ██····
      ███···
      █·██··
      █··██·`,
    );
    expectPicture(
      attentionSink({ sinks: 2, window: 0 }),
      `
      █····
      ██···
      ███··
      ██·█·
      ██··█`,
    );
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 30 }),
        (qLen, kvLen, blockSize, sinks, window) => {
          expectEnumeratorAgrees(attentionSink({ sinks, window }), {
            qLen,
            kvLen,
            blockSize,
            seed: sinks + window,
          });
        },
      ),
      { numRuns: 25, seed: 10 },
    );
  });

  it('rejects negative sizes', () => {
    expect(() => attentionSink({ sinks: -1, window: 4 })).toThrow(/`options.sinks` must be an integer ≥ 0/);
    expect(() => attentionSink({ sinks: 4, window: -4 })).toThrow(/`options.window` must be an integer ≥ 0/);
  });
});
