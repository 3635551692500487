import { registerAdaptive } from '@efficient-attention/adaptive';
import { registerBitnet } from '@efficient-attention/bitnet';
import { MechanismRegistry, registerCoreMechanisms } from '@efficient-attention/core';
import { registerLinearAttention } from '@efficient-attention/linear-attention';
import { registerSparseMasks } from '@efficient-attention/sparse-masks';

/** One row of the comparative table, read from a mechanism's capabilities. */
export interface MechanismRow {
  name: string;
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
  paper: string;
}

/**
 * A registry holding every mechanism of this repository's packages (core, sparse-masks, adaptive,
 * linear-attention, bitnet), filled by their explicit `register…` calls.
 *
 * @example
 * ```ts
 * allMechanisms().names(); // ['adaptive-span', 'block-sparse', 'dense', …]
 * ```
 */
export function allMechanisms(): MechanismRegistry {
  const registry = new MechanismRegistry();
  registerCoreMechanisms(registry);
  registerSparseMasks(registry);
  registerAdaptive(registry);
  registerLinearAttention(registry);
  registerBitnet(registry);
  return registry;
}

const FAMILY_ORDER = ['dense', 'sparse', 'adaptive', 'linear', 'low-rank', 'hashing', 'quantized'];

/**
 * The comparative table's rows from a registry's capabilities, ordered by survey family then name.
 *
 * @example
 * ```ts
 * mechanismRows(allMechanisms())[0]; // { name: 'dense', family: 'dense', timeComplexity: 'O(N²·d)', … }
 * ```
 */
export function mechanismRows(registry: MechanismRegistry): MechanismRow[] {
  return registry
    .list()
    .map((d): MechanismRow => {
      const c = d.capabilities;
      const a = c.accuracy;
      return {
        name: d.name,
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
        paper: c.paper,
      };
    })
    .sort(
      (x, y) =>
        FAMILY_ORDER.indexOf(x.family) - FAMILY_ORDER.indexOf(y.family) || x.name.localeCompare(y.name),
    );
}
