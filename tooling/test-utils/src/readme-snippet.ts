import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The first ```js block of a package's README.md: the usage snippet every package README carries. */
export function readmeSnippet(packageDir: string): string {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const match = /```js\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error(`${packageDir}/README.md has no \`\`\`js usage snippet.`);
  return match[1]!;
}

/**
 * Runs a package's README snippet as an ES module inside the package folder (so it imports the package by
 * its npm name, as a user would) and returns the module's exports. Used by each package's readme test; the
 * packed-tarball check runs the same snippet against the installed package.
 */
export async function runReadmeSnippet(packageDir: string): Promise<Record<string, unknown>> {
  const file = join(packageDir, '.readme-snippet.mjs');
  writeFileSync(file, readmeSnippet(packageDir));
  try {
    return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as Record<string, unknown>;
  } finally {
    rmSync(file, { force: true });
  }
}
