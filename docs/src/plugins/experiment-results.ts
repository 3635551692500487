import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { LoadContext, Plugin } from '@docusaurus/types';

/** A table of preformatted cells, as apps/experiments writes it (`table: { head, rows }`). */
export interface ResultTable {
  head: string[];
  rows: string[][];
}

/** One experiment as the site shows it: what it measures, its table, notes, plots and reproducing command. */
export interface ExperimentResult {
  name: string;
  description: string | null;
  command: string;
  /** The JSON's table; `null` for older files that only have a markdown table. */
  table: ResultTable | null;
  notes: string[];
  /** The markdown written beside the JSON, used when the JSON has no `table`. */
  markdown: string | null;
  /** Plots: where the page loads them from (a file copied into the build, or inline in development) and their alt text. */
  plots: { file: string; alt: string; src: string }[];
  /** Where and when the numbers were measured, from the JSON. */
  measured: string | null;
}

export interface ExperimentResults {
  preset: string;
  /** Whether apps/experiments' `index.json` was found (otherwise the result files were listed directly). */
  fromIndex: boolean;
  experiments: ExperimentResult[];
}

type Json = Record<string, unknown>;

const PRESET = 'quick';

function readText(dir: string, file: unknown): string | null {
  if (typeof file !== 'string') return null;
  const path = resolve(dir, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function measuredLine(json: Json): string | null {
  const machine = (json.machine ?? {}) as Json;
  const versions = (json.versions ?? {}) as Json;
  const parts: string[] = [];
  if (typeof machine.cpu === 'string') {
    const cores = typeof machine.logicalCores === 'number' ? `, ${machine.logicalCores} logical cores` : '';
    parts.push(`${machine.cpu}${cores}`);
  }
  const load = machine.loadAverage;
  if (Array.isArray(load) && typeof load[0] === 'number') parts.push(`load average ${load[0].toFixed(1)}`);
  if (typeof json.backend === 'string') parts.push(`tfjs backend ${json.backend}`);
  const node = str(versions.node) ?? str(machine.node);
  if (node) parts.push(`Node ${node}`);
  if (typeof json.wallSeconds === 'number') parts.push(`${json.wallSeconds.toFixed(0)} s in all`);
  if (typeof json.date === 'string') parts.push(json.date.slice(0, 10));
  return parts.length > 0 ? parts.join(' · ') : null;
}

function tableOf(json: Json): ResultTable | null {
  const t = json.table as { head?: unknown; rows?: unknown } | undefined;
  if (!t || !Array.isArray(t.head) || !Array.isArray(t.rows)) return null;
  return { head: t.head.map(String), rows: t.rows.map((r) => (Array.isArray(r) ? r.map(String) : [])) };
}

function plotAlt(name: string, description: string | null, file: string): string {
  const what = basename(file, '.svg').replace(`${name}-`, '').replaceAll('-', ' ');
  return `${name}: ${what} plot.${description ? ` ${description}` : ''}`;
}

/** Production builds link plots as files (copied by postBuild) so the page's JS stays small; dev inlines them. */
interface PlotLinks {
  baseUrl: string;
  inline: boolean;
}

function loadExperiment(
  dir: string,
  name: string,
  entry: Json | undefined,
  links: PlotLinks,
): ExperimentResult {
  const jsonText = readText(dir, str(entry?.json) ?? `${name}.json`);
  const json = (jsonText === null ? {} : JSON.parse(jsonText)) as Json;
  const description = str(entry?.description) ?? str(json.description);
  const plotFiles =
    entry && Array.isArray(entry.plots)
      ? entry.plots.filter((p): p is string => typeof p === 'string')
      : readdirSync(dir).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.svg'));
  const plots = plotFiles.flatMap((file) => {
    const svg = readText(dir, file);
    if (svg === null) return [];
    const src = links.inline
      ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`
      : `${links.baseUrl}results/${PRESET}/${file}`;
    return [{ file, alt: plotAlt(name, description, file), src }];
  });
  const command =
    str(entry?.command) ?? str(json.command) ?? `pnpm experiments --preset ${PRESET} --only ${name}`;
  const notes = Array.isArray(json.notes) ? json.notes.filter((n): n is string => typeof n === 'string') : [];
  const markdownFile = str(entry?.markdown) ?? `${name}.md`;
  return {
    name,
    description,
    command,
    table: tableOf(json),
    notes,
    markdown: readText(dir, markdownFile),
    plots,
    measured: measuredLine(json),
  };
}

/** Reads `results/quick/` (written by apps/experiments) at build time. */
export function loadExperimentResults(resultsDir: string, links: PlotLinks): ExperimentResults {
  const dir = join(resultsDir, PRESET);
  if (!existsSync(dir)) return { preset: PRESET, fromIndex: false, experiments: [] };
  const indexPath = join(dir, 'index.json');
  if (existsSync(indexPath)) {
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { experiments?: Json[] };
    // One entry per experiment (the last one wins), in the index's order.
    const byName = new Map<string, Json>();
    for (const e of index.experiments ?? [])
      if (typeof e.experiment === 'string') byName.set(e.experiment, e);
    const entries = [...byName.values()];
    return {
      preset: PRESET,
      fromIndex: true,
      experiments: entries.map((e) => loadExperiment(dir, e.experiment as string, e, links)),
    };
  }
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
  return {
    preset: PRESET,
    fromIndex: false,
    experiments: names.map((n) => loadExperiment(dir, n, undefined, links)),
  };
}

/**
 * Build-time loader for the experiments' results: writes them as a JSON module that only the page showing
 * them imports (`@generated/experiment-results/default/results.json`), so other pages stay light.
 */
export function experimentResultsPlugin(context: LoadContext): Plugin {
  const resultsDir = resolve(context.siteDir, '../results');
  return {
    name: 'experiment-results',
    getPathsToWatch: () => [join(resultsDir, PRESET, '*')],
    loadContent: async () =>
      loadExperimentResults(resultsDir, {
        baseUrl: context.baseUrl,
        inline: process.env.NODE_ENV !== 'production',
      }),
    async contentLoaded({ content, actions }) {
      await actions.createData('results.json', JSON.stringify(content));
    },
    async postBuild({ outDir, content }) {
      const results = content as ExperimentResults;
      const target = join(outDir, 'results', PRESET);
      mkdirSync(target, { recursive: true });
      for (const plot of results.experiments.flatMap((e) => e.plots)) {
        copyFileSync(join(resultsDir, PRESET, plot.file), join(target, basename(plot.file)));
      }
    },
  };
}
