/** The model families the Attention view compares (written by `pnpm experiments --preset quick`). */
export const REQUIRED_FAMILIES = ['dense', 'sparse', 'adaptive', 'linear'] as const;

/** One entry of results/quick/models/index.json, as apps/experiments writes it. */
export interface ExportedModelEntry {
  family: string;
  experiment: string;
  variant: string;
  mechanism: string;
  task: string;
  /** Folder of model.json + weights.bin, relative to results/quick/. */
  path: string;
  files: string[];
  tokenizer: { kind?: string; vocabSize?: number; vocabulary?: string; [key: string]: unknown };
  exampleTokens: number[];
  metrics: Record<string, number | null>;
}

/** The models index, or why there is none. */
export type ModelsIndex =
  | { status: 'missing'; reason: string }
  | { status: 'ready'; models: ExportedModelEntry[] };

/** Where a model's model.json is served: the build copies results/quick/models to `models/`. */
export function modelJsonUrl(entry: ExportedModelEntry, base: string): string {
  const folder = entry.path.replace(/^\.?\/?models\//, '').replace(/\/$/, '');
  return new URL(`models/${folder}/model.json`, base).href;
}

/** Fetches models/index.json next to the page. */
export async function fetchModelsIndex(base: string): Promise<ModelsIndex> {
  let response: Response;
  try {
    response = await fetch(new URL('models/index.json', base));
  } catch (error) {
    return {
      status: 'missing',
      reason: `models/index.json could not be fetched (${(error as Error).message})`,
    };
  }
  if (!response.ok)
    return { status: 'missing', reason: `models/index.json is not in this build (HTTP ${response.status})` };
  try {
    const json = (await response.json()) as { models?: ExportedModelEntry[] };
    return { status: 'ready', models: json.models ?? [] };
  } catch {
    return { status: 'missing', reason: 'models/index.json is not valid JSON' };
  }
}

/**
 * Token ids from what the user typed: characters through a character vocabulary, else comma- or
 * space-separated integers; an explanation instead when something cannot be fed to the model.
 */
export function parseTokens(
  text: string,
  tokenizer: ExportedModelEntry['tokenizer'],
): { tokens: number[] } | { problem: string } {
  const vocabSize = tokenizer.vocabSize ?? Number.POSITIVE_INFINITY;
  if (tokenizer.kind === 'characters' && typeof tokenizer.vocabulary === 'string') {
    const vocabulary = tokenizer.vocabulary;
    const unknown = [...new Set([...text].filter((c) => !vocabulary.includes(c)))];
    if (unknown.length > 0)
      return {
        problem: `These characters are not in the model's vocabulary: ${unknown.map((c) => JSON.stringify(c)).join(' ')}.`,
      };
    if (text.length === 0) return { problem: 'Type at least one character.' };
    return { tokens: [...text].map((c) => vocabulary.indexOf(c)) };
  }
  const parts = text.split(/[\s,]+/).filter((s) => s !== '');
  if (parts.length === 0) return { problem: 'Give at least one token id.' };
  const tokens = parts.map(Number);
  const bad = parts.filter(
    (_, i) => !Number.isInteger(tokens[i]) || tokens[i]! < 0 || tokens[i]! >= vocabSize,
  );
  if (bad.length > 0)
    return {
      problem: `Token ids must be whole numbers from 0 to ${vocabSize - 1}; not ${bad.slice(0, 5).join(', ')}.`,
    };
  return { tokens };
}
