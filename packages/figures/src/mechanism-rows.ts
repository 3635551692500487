import { builtinMechanisms } from '@efficient-attention/all';
import { createMechanismRegistry, type MechanismRegistry } from '@efficient-attention/core';

/** One row of the comparative table, read from a mechanism's definition. */
export interface MechanismRow {
  name: string;
  /** The definition's display name. */
  title: string;
  description: string;
  family: string;
  timeComplexity: string;
  memoryComplexity: string;
  causal: boolean;
  /** 'exact', 'approximate (≤ tolerance)' or 'different function'. */
  accuracy: string;
  /** The accuracy's explanation (bound or note), if any. */
  accuracyNote?: string;
  trainable: boolean;
  /** The paper's URL. */
  paper: string;
  /** The paper as a short citation: `Beltagy et al. 2020`. */
  citation: string;
}

/**
 * A registry holding every built-in mechanism (the catalogue of `@efficient-attention/all`): a mechanism
 * package appears in the table by being in the catalogue.
 *
 * @example
 * ```ts
 * allMechanisms().names(); // ['adaptive-span', 'block-sparse', 'dense', …]
 * ```
 */
export function allMechanisms(): MechanismRegistry {
  return createMechanismRegistry(builtinMechanisms);
}

/**
 * The comparative table's rows from a registry's definitions, ordered by survey family (in the order the
 * catalogue lists the families) then name.
 *
 * @example
 * ```ts
 * mechanismRows(allMechanisms())[0]; // { name: 'dense', family: 'dense', timeComplexity: 'O(N²·d)', … }
 * ```
 */
export function mechanismRows(registry: MechanismRegistry): MechanismRow[] {
  const familyOrder = [...new Set(builtinMechanisms.map((d) => d.capabilities.family))];
  const rank = (family: string) => {
    const i = familyOrder.indexOf(family as (typeof familyOrder)[number]);
    return i < 0 ? familyOrder.length : i;
  };
  return registry
    .list()
    .map((d): MechanismRow => {
      const c = d.capabilities;
      const a = c.accuracy;
      return {
        name: d.name,
        title: d.title,
        description: d.description,
        family: c.family,
        timeComplexity: c.timeComplexity,
        memoryComplexity: c.memoryComplexity,
        causal: c.supportsCausal,
        accuracy:
          a.kind === 'exact'
            ? 'exact'
            : a.kind === 'approximate'
              ? `approximate (≤ ${a.tolerance})`
              : 'different function',
        ...(a.kind === 'approximate'
          ? { accuracyNote: a.bound }
          : a.kind === 'different'
            ? { accuracyNote: a.note }
            : {}),
        trainable: c.trainableParameters,
        paper: d.paper.url,
        citation: `${d.paper.authors} ${d.paper.year}`,
      };
    })
    .sort((x, y) => rank(x.family) - rank(y.family) || x.name.localeCompare(y.name));
}
