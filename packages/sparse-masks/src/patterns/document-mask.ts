import { assertKnownOptions, defineOptions, InvalidArgumentError, paper } from '@efficient-attention/core';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';

/** Options of {@link documentMask}. */
export interface DocumentMaskOptions {
  /**
   * The document of every query position: one array (the same for every batch element) or one array per
   * batch element. Integers; a negative id marks padding, which attends to nothing and is never attended.
   */
  documentIds: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;
  /** The document of every key position, for cross-attention. Default: `documentIds`. */
  kvDocumentIds?: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;
}

const FN = 'documentMask';

/** A run of equal ids: positions `[start, end)`. */
interface Run {
  start: number;
  end: number;
}

/** Per batch element: ids and, per id, its runs in ascending order. */
interface DocumentTable {
  ids: Int32Array;
  runs: Map<number, Run[]>;
}

function toTables(name: string, given: unknown): DocumentTable[] {
  const isNested =
    Array.isArray(given) && given.length > 0 && typeof given[0] === 'object' && given[0] !== null;
  const perBatch = (isNested ? given : [given]) as unknown[];
  return perBatch.map((raw, b) => {
    const where = isNested ? `${name}[${b}]` : name;
    const arr = raw as ArrayLike<number> | undefined;
    if (arr === null || typeof arr !== 'object' || typeof arr.length !== 'number' || arr.length < 1) {
      throw new InvalidArgumentError(FN, where, 'a non-empty array of integer document ids', raw);
    }
    const ids = new Int32Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const x = arr[i]!;
      if (!Number.isInteger(x)) {
        throw new InvalidArgumentError(FN, `${where}[${i}]`, 'an integer document id', x);
      }
      ids[i] = x;
    }
    const runs = new Map<number, Run[]>();
    for (let i = 0; i < ids.length; ) {
      let e = i + 1;
      while (e < ids.length && ids[e] === ids[i]) e++;
      if (ids[i]! >= 0) {
        const list = runs.get(ids[i]!) ?? [];
        list.push({ start: i, end: e });
        runs.set(ids[i]!, list);
      }
      i = e;
    }
    return { ids, runs };
  });
}

/**
 * Document masking for packed sequences: several documents share one row of the batch, and a token only
 * attends tokens of its own document. Query `q` may attend key `kv` when `documentIds[q] ≥ 0` and
 * `documentIds[q] = kvDocumentIds[kv]`. Combine with {@link causal} (`andMasks`) for packed causal language
 * modelling. The ids fix the lengths: building for others throws.
 *
 * ```
 * documentMask({ documentIds: [0, 0, 1, 1, 1, -1] })
 * q0 ██····
 * q1 ██····
 * q2 ··███·
 * q3 ··███·
 * q4 ··███·
 * q5 ······     (padding)
 * ```
 *
 * Krell et al. 2021, https://arxiv.org/abs/2107.02027.
 *
 * @example
 * ```ts
 * const packed = andMasks(causal(), documentMask({ documentIds: [0, 0, 0, 1, 1, 2, 2, 2] }));
 * ```
 */
export function documentMask(options: DocumentMaskOptions): MaskPattern {
  assertKnownOptions(FN, options, ['documentIds', 'kvDocumentIds']);
  const qTables = toTables('options.documentIds', options?.documentIds);
  const kvTables =
    options.kvDocumentIds === undefined ? qTables : toTables('options.kvDocumentIds', options.kvDocumentIds);
  const batches = Math.max(qTables.length, kvTables.length);
  for (const [name, tables] of [
    ['options.documentIds', qTables],
    ['options.kvDocumentIds', kvTables],
  ] as const) {
    if (tables.length !== 1 && tables.length !== batches) {
      throw new InvalidArgumentError(
        FN,
        name,
        `1 or ${batches} arrays (one per batch element)`,
        tables.length,
      );
    }
    tables.forEach((t, b) => {
      if (t.ids.length !== tables[0]!.ids.length) {
        throw new InvalidArgumentError(FN, `${name}[${b}].length`, `${tables[0]!.ids.length}`, t.ids.length);
      }
    });
  }
  const qLen = qTables[0]!.ids.length;
  const kvLen = kvTables[0]!.ids.length;
  const tableOf = (tables: DocumentTable[], b: number) => tables[tables.length === 1 ? 0 : b];
  const idAt = (t: DocumentTable | undefined, x: number) =>
    t !== undefined && x >= 0 && x < t.ids.length ? t.ids[x]! : -1;
  return definePattern(
    (b, _h, q, kv) => {
      const id = idAt(tableOf(qTables, b), q);
      return id >= 0 && id === idAt(tableOf(kvTables, b), kv);
    },
    {
      description: `documentMask(${batches > 1 ? `${batches} batch rows, ` : ''}${qLen} positions)`,
      batchInvariant: batches === 1,
      headInvariant: true,
      checkLengths: (fn, n, m) => {
        if (n !== qLen || m !== kvLen) {
          throw new InvalidArgumentError(
            fn,
            'maskMod',
            `used with the lengths of its document ids (qLen ${qLen}, kvLen ${kvLen})`,
            `qLen ${n}, kvLen ${m}`,
          );
        }
      },
      blocks: {
        classify: (b, _h, q0, q1, grid, states) => {
          states.fill(BLOCK_NONE, 0, grid.count);
          const qt = tableOf(qTables, b);
          const kt = tableOf(kvTables, b);
          if (qt === undefined || kt === undefined) return;
          const ids = new Set<number>();
          let padded = false;
          for (let q = q0; q < q1; q++) {
            const id = idAt(qt, q);
            if (id >= 0) ids.add(id);
            else padded = true;
          }
          const single = ids.size === 1 && !padded;
          for (const id of ids) {
            for (const run of kt.runs.get(id) ?? []) {
              const lo = Math.max(run.start, grid.start);
              const hi = Math.min(run.end, grid.end);
              if (lo >= hi) continue;
              const j0 = Math.floor((lo - grid.start) / grid.size);
              const j1 = Math.floor((hi - 1 - grid.start) / grid.size);
              for (let j = j0; j <= j1; j++) {
                const k0 = grid.start + j * grid.size;
                const k1 = Math.min(grid.end, k0 + grid.size);
                const covers = single && run.start <= k0 && run.end >= k1;
                states[j] = Math.max(states[j]!, covers ? BLOCK_FULL : BLOCK_PARTIAL);
              }
            }
          }
        },
        fillBits: (b, _h, slab) => {
          const qt = tableOf(qTables, b);
          const kt = tableOf(kvTables, b);
          if (qt === undefined || kt === undefined) return;
          for (let q = slab.q0; q < slab.q1; q++) {
            const id = idAt(qt, q);
            if (id < 0) continue;
            for (const run of kt.runs.get(id) ?? []) slab.setRange(q, run.start, run.end);
          }
        },
      },
    },
  );
}

/**
 * Registry entry for {@link documentMask}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'document-mask', documentIds: [0, 0, 0, 1, 1, 2, 2, 2] }, { seed: 0, qLen: 8, kvLen: 8, blockSize: 64 });
 * ```
 */
export const documentMaskPattern: MaskPatternDefinition = {
  name: 'document-mask',
  title: 'Documents (packed sequences)',
  description: 'Packed documents: a query attends only keys of its own document; negative ids are padding.',
  paper: paper(
    'Efficient Sequence Packing without Cross-contamination: Accelerating Large Language Models without Impacting Performance',
    'Krell, Kosec, Perez, Fitzgibbon',
    2021,
    'https://arxiv.org/abs/2107.02027',
    'arXiv',
  ),
  options: defineOptions({
    documentIds: {
      type: 'integer-list',
      description: 'The document id of every query position, shared by the batch (a negative id is padding).',
    },
    kvDocumentIds: {
      type: 'integer-list',
      description: 'The document id of every key position, for cross-attention (default: `documentIds`).',
    },
  }),
  create: (p: DocumentMaskOptions & PatternParameters) => documentMask(p),
};
