/**
 * WGSL for per-invocation vectors of `words` elements (`f32` or `vec4<f32>` words) that a kernel keeps in
 * registers, such as a row of q or a dK accumulator. Unrolled into named variables (`acc0`, `acc1`, …) when
 * small, so a compiler keeps them in registers (SwiftShader spills dynamically indexed private arrays to
 * memory); private arrays and loops otherwise. One decision for every vector of a program.
 *
 * @example
 * ```ts
 * const r = registerVectorsWGSL(dw <= 32 && vw <= 32);
 * `${r.declare('dk', 'vec4<f32>', dw)}
 *  ${r.each(dw, (t) => `${r.at('dk', t)} = ${r.at('dk', t)} + ds * qTile[qBase + ${t}];`)}`;
 * ```
 */
export interface RegisterVectors {
  readonly unrolled: boolean;
  /** Declares vector `name` (zero-initialised). */
  declare(name: string, type: string, words: number): string;
  /** Word `t` of vector `name` (`t` is a WGSL expression: a literal when unrolled, the loop index otherwise). */
  at(name: string, t: string): string;
  /** The statements `body(t)` for every word `t` of a `words`-word vector. */
  each(words: number, body: (t: string) => string): string;
  /** Declares `var target : f32` holding Σₜ `term(t)` over the words. */
  sum(words: number, target: string, term: (t: string) => string): string;
}

/** Unroll when every register vector of a program has at most this many words. */
export const MAX_UNROLLED_VECTOR_WORDS = 32;

export function registerVectorsWGSL(unrolled: boolean): RegisterVectors {
  const range = (n: number) => Array.from({ length: n }, (_, i) => String(i));
  let loops = 0;
  const loopVar = () => `w${loops++}`;
  if (unrolled) {
    return {
      unrolled,
      declare: (name, type, words) =>
        range(words)
          .map((t) => `var ${name}${t} : ${type};`)
          .join(' '),
      at: (name, t) => `${name}${t}`,
      each: (words, body) => range(words).map(body).join('\n'),
      sum: (words, target, term) => `var ${target} = ${range(words).map(term).join(' + ')};`,
    };
  }
  return {
    unrolled,
    declare: (name, type, words) => `var ${name} : array<${type}, ${words}>;`,
    at: (name, t) => `${name}[${t}]`,
    each: (words, body) => {
      const t = loopVar();
      return `for (var ${t} = 0; ${t} < ${words}; ${t}++) { ${body(t)} }`;
    },
    sum: (words, target, term) => {
      const t = loopVar();
      return `var ${target} = 0.0; for (var ${t} = 0; ${t} < ${words}; ${t}++) { ${target} = ${target} + ${term(t)}; }`;
    },
  };
}
