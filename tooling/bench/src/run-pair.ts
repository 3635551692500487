/**
 * Child-process entry: `tsx run-pair.ts <suiteFile> <numerator> <denominator> <backend> <rounds> [batch]` times two
 * cases alternately in one fresh process (an interleaved ratio) and prints the medians as JSON.
 */
import { pathToFileURL } from 'node:url';
import type { BenchSuite } from './define-suite.js';
import { measurePair } from './measure-case.js';

const [file, numeratorName, denominatorName, backend, rounds, batch] = process.argv.slice(2);
const suite = (await import(pathToFileURL(file!).href)).default as BenchSuite;
const find = (name: string) => {
  const c = suite.cases.find((x) => x.name === name);
  if (!c) throw new Error(`No case "${name}" in ${file}`);
  return c;
};
const result = await measurePair(
  find(numeratorName!),
  find(denominatorName!),
  backend!,
  Number(rounds),
  Number(batch ?? 1),
);
process.stdout.write(`\n@@RESULT@@${JSON.stringify(result)}\n`);
process.exit(0);
