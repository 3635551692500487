import { describe, expect, it } from 'vitest';
import { applyListOp, LISTOPS_CLS, LISTOPS_PAD, listOpsBatch, listOpsToText } from './listops.js';

/**
 * An evaluator written independently of the generator: it parses the rendered text with a stack and uses
 * the definitions of the LRA ListOps code (numpy median, floored; sum mod 10).
 */
function evaluateText(text: string): number {
  const stack: { op: string; args: number[] }[] = [];
  let result: number | undefined;
  for (const word of text.split(' ')) {
    if (word.startsWith('[')) stack.push({ op: word.slice(1), args: [] });
    else if (word === ']') {
      const { op, args } = stack.pop()!;
      const sorted = [...args].sort((a, b) => a - b);
      const n = sorted.length;
      const median = n % 2 ? sorted[(n - 1) / 2]! : Math.floor((sorted[n / 2 - 1]! + sorted[n / 2]!) / 2);
      const value = {
        MAX: sorted[n - 1]!,
        MIN: sorted[0]!,
        MED: median,
        SM: args.reduce((a, b) => a + b) % 10,
      }[op]!;
      if (stack.length === 0) result = value;
      else stack.at(-1)!.args.push(value);
    } else stack.at(-1)!.args.push(Number(word));
  }
  return result!;
}

function depthOf(text: string): number {
  let depth = 0;
  let max = 0;
  for (const word of text.split(' ')) {
    if (word.startsWith('[')) max = Math.max(max, ++depth);
    if (word === ']') depth--;
  }
  return max;
}

const options = { seqLen: 48, maxDepth: 3, maxArgs: 4, leafProbability: 0.6 };

describe('listops', () => {
  it('labels match an independent evaluator, depth is bounded and the layout is CLS expr PAD…', () => {
    const b = listOpsBatch(options, 200, 3);
    const labels = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const row = Array.from(b.tokens.subarray(i * 48, (i + 1) * 48));
      expect(row[0]).toBe(LISTOPS_CLS);
      const text = listOpsToText(row);
      expect(evaluateText(text)).toBe(b.targets[i]);
      expect(depthOf(text)).toBeLessThanOrEqual(3);
      const end = row.lastIndexOf(16);
      expect(row.slice(end + 1).every((t) => t === LISTOPS_PAD)).toBe(true);
      labels.add(b.targets[i]!);
    }
    expect(labels.size).toBeGreaterThanOrEqual(8);
  });

  it('applies the operators as LRA does', () => {
    expect(applyListOp('MED', [1, 4, 2, 9])).toBe(3);
    expect(applyListOp('MED', [5, 1, 3])).toBe(3);
    expect(applyListOp('SM', [7, 8, 9])).toBe(4);
    expect(listOpsToText([1, 12, 5, 13, 2, 3, 16, 16, 0])).toBe('[MAX 3 [MIN 0 1 ] ]');
  });

  it('is reproducible from the seed and says what to change when seqLen is too short', () => {
    expect(listOpsBatch(options, 4, 9).tokens).toEqual(listOpsBatch(options, 4, 9).tokens);
    expect(() => listOpsBatch({ ...options, seqLen: 6, leafProbability: 0, maxDepth: 4 }, 1, 0)).toThrow(
      /`options.seqLen` must be long enough.*Raise seqLen/,
    );
  });
});
