/**
 * Child-process entry: `tsx run-case.ts <suiteFile> <caseName> <backend> <iterations>` measures one case in a
 * fresh process (so peak RSS is the case's own; the wasm heap never shrinks) and prints its JSON.
 */
import { pathToFileURL } from 'node:url';
import type { BenchSuite } from './define-suite.js';
import { measureCase } from './measure-case.js';

const [file, caseName, backend, iterations] = process.argv.slice(2);
const suite = (await import(pathToFileURL(file!).href)).default as BenchSuite;
const c = suite.cases.find((x) => x.name === caseName);
if (!c) throw new Error(`No case "${caseName}" in ${file}`);
const result = await measureCase(suite.name, c, backend!, Number(iterations));
process.stdout.write(`\n@@RESULT@@${JSON.stringify(result)}\n`);
process.exit(0);
