import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { builtinEncodings, builtinMechanisms, builtinPatterns } from '@efficient-attention/all';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Consumers iterate the registries and ask definitions (hooks, capabilities, option schemas); they never
// switch on a definition's name. This test reads every registry key and scans the consumers' sources for a
// string literal (or JSX text) that is exactly such a key.
const root = new URL('../../../', import.meta.url).pathname;
const FOLDERS = ['packages/transformer/src', 'packages/figures/src'];
const keys = new Map<string, string>([
  ...builtinMechanisms.map((d) => [d.name, 'mechanism'] as const),
  ...builtinEncodings.map((d) => [d.name, 'encoding'] as const),
  ...builtinPatterns.map((d) => [d.name, 'mask pattern'] as const),
]);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'test-support' ? [] : sources(path);
    return /\.tsx?$/.test(entry) && !/\.test\.tsx?$/.test(entry) ? [path] : [];
  });
}

/** Every string literal, template piece and JSX text of a file, with its line. */
function literals(path: string): { text: string; line: number }[] {
  const text = readFileSync(path, 'utf8');
  const file = ts.createSourceFile(
    path,
    text,
    ts.ScriptTarget.Latest,
    true,
    path.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const found: { text: string; line: number }[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node) ||
      ts.isJsxText(node)
    ) {
      // Module specifiers name packages, not registry entries.
      if (
        !(
          ts.isStringLiteral(node) &&
          (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent))
        )
      ) {
        found.push({
          text: node.text.trim(),
          line: file.getLineAndCharacterOfPosition(node.getStart()).line + 1,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('consumers never name a registry entry', () => {
  it('knows the registries (the scan is not vacuous)', () => {
    expect(keys.size).toBeGreaterThan(30);
    expect(keys.get('dense')).toBe('mechanism');
    expect(keys.get('rope')).toBe('encoding');
    expect(keys.get('sliding-window')).toBe('mask pattern');
  });

  it('finds a key written as a literal (the scan works)', () => {
    const probe = join(root, 'tooling/all-mechanisms/src/no-registry-keys.test.ts');
    expect(literals(probe).some((l) => l.text === 'sliding-window')).toBe(true);
  });

  for (const folder of FOLDERS) {
    it(`${folder} has no registry key as a string literal outside tests`, () => {
      const hits = sources(join(root, folder)).flatMap((path) =>
        literals(path)
          .filter((l) => keys.has(l.text))
          .map((l) => `${relative(root, path)}:${l.line} '${l.text}' (${keys.get(l.text)})`),
      );
      expect(hits).toEqual([]);
    });
  }
});
