import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableCells } from '../results-table.js';
import { kernelsTable } from './attention-kernels.js';
import { charLmTable } from './char-lm-bitnet.js';
import { inferenceTable } from './inference-scaling.js';
import { extrapolationTable } from './length-extrapolation.js';
import { listOpsTable } from './listops.js';
import { mqarTable } from './mqar.js';

/**
 * Golden test of the typed tables: rebuilding each committed results file's table and headline from its own
 * raw runs gives back, cell for cell, the text the string tables wrote.
 */
const RESULTS = join(import.meta.dirname, '..', '..', '..', '..', 'results');

// biome-ignore lint/suspicious/noExplicitAny: results JSON read back as written
type Json = any;

const rebuild: Record<
  string,
  (json: Json) => { table: Parameters<typeof tableCells>[0]; headline: unknown[] }
> = {
  mqar: (j) => mqarTable(j.config.variants, j.runs),
  listops: (j) => listOpsTable(j.config.variants, j.runs),
  'char-lm-bitnet': (j) => charLmTable(j.runs),
  'length-extrapolation': (j) =>
    extrapolationTable(j.config.encodings, j.config.testLengths, j.config.testMultipliers, j.runs),
  'inference-scaling': (j) =>
    inferenceTable(j.runs, j.config.variants, Math.max(...(j.config.lengths as number[]))),
  'attention-kernels': (j) => kernelsTable(j.runs, Math.max(...(j.config.lengths as number[]))),
};

describe('experiment tables', () => {
  for (const preset of ['quick', 'full']) {
    for (const [experiment, build] of Object.entries(rebuild)) {
      const file = join(RESULTS, preset, `${experiment}.json`);
      it.skipIf(!existsSync(file))(`rebuild results/${preset}/${experiment}.json from its runs`, () => {
        const json = JSON.parse(readFileSync(file, 'utf8'));
        const { table, headline } = build(json);
        expect(tableCells(table)).toEqual(json.table);
        expect(headline).toEqual(json.headline);
      });
    }
  }
});
