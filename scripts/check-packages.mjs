#!/usr/bin/env node
/**
 * How users install single packages: pack every publishable workspace package with `pnpm pack`, install the
 * tarballs into an empty project with npm (plus the tfjs peers), check that each packed package.json has no
 * `workspace:` ranges and ships only dist + README, import each package from plain Node ESM, and run each
 * README's ```js snippet there.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'ea-check-packages-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    pkg: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter(({ pkg }) => !pkg.private);

let failures = 0;
const fail = (msg) => {
  failures++;
  console.error(`✗ ${msg}`);
};

const peers = new Set();
for (const { dir, pkg } of packages) {
  run('pnpm', ['pack', '--pack-destination', tarballs], dir);
  for (const [name, range] of Object.entries(pkg.peerDependencies ?? {})) peers.add(`${name}@${range}`);
}
peers.add('@tensorflow/tfjs-backend-cpu@4.22.0');
// The transformer README trains a model: in plain Node only the @tensorflow/tfjs bundle registers gradients.
peers.add('@tensorflow/tfjs@4.22.0');
const files = readdirSync(tarballs).map((f) => join(tarballs, f));
execFileSync('mkdir', ['-p', project]);
writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({ name: 'ea-install-check', private: true, type: 'module' }),
);
console.log(`Installing ${files.length} tarballs + ${[...peers].join(', ')} into an empty project…`);
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files, ...peers], project);

for (const { dir, pkg } of packages) {
  const installed = JSON.parse(readFileSync(join(project, 'node_modules', pkg.name, 'package.json'), 'utf8'));
  const ranges = JSON.stringify({ ...installed.dependencies, ...installed.peerDependencies });
  if (ranges.includes('workspace:')) fail(`${pkg.name}: packed package.json still has a workspace: range`);
  const shipped = readdirSync(join(project, 'node_modules', pkg.name)).sort();
  const unexpected = shipped.filter(
    (f) => !['dist', 'README.md', 'package.json', 'LICENSE', 'CHANGELOG.md'].includes(f),
  );
  if (unexpected.length) fail(`${pkg.name}: ships unexpected files ${unexpected.join(', ')}`);
  if (!shipped.includes('dist')) fail(`${pkg.name}: ships no dist/`);
  try {
    const keys = run(
      'node',
      [
        '--input-type=module',
        '-e',
        `const m = await import('${pkg.name}'); console.log(Object.keys(m).length);`,
      ],
      project,
    );
    if (Number(keys.trim()) === 0) fail(`${pkg.name}: imports but exports nothing`);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const snippet = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!snippet) fail(`${pkg.name}: README has no \`\`\`js snippet`);
    else {
      const file = join(project, `readme-${pkg.name.split('/')[1]}.mjs`);
      writeFileSync(file, snippet);
      const out = run('node', [file], project);
      console.log(
        `✓ ${pkg.name}: installed from its tarball, ${keys.trim()} exports, README snippet ran${out.trim() ? ` → ${out.trim().split('\n').pop()}` : ''}`,
      );
    }
  } catch (error) {
    fail(`${pkg.name}: ${error.message.split('\n')[0]}`);
  }
}
rmSync(work, { recursive: true, force: true });
if (failures > 0) {
  console.error(`${failures} package check(s) failed.`);
  process.exit(1);
}
console.log(`${packages.length} package(s) pack, install and run from an empty project.`);
