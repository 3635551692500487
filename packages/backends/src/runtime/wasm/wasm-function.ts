/**
 * The typed edge of the kernel module: every exported function is declared once, with its parameter names
 * in the order `assembly/kernels.ts` declares them, and called with a named-parameter object. A call can
 * then neither drop, swap nor add an argument without a type error, and the positional array the module
 * (and a worker thread) needs is built here, in the declared order — once per kernel call, not per element.
 */

/** A named-parameter object for a {@link WasmFunction}: one number per declared parameter. */
export type WasmArgs<P extends readonly string[]> = { readonly [K in P[number]]: number };

/** An export of the kernel module: its name and its parameters in declared order. */
export interface WasmFunction<P extends readonly string[] = readonly string[]> {
  readonly name: string;
  readonly params: P;
  /** The arguments in the module's positional order. */
  positional(args: WasmArgs<P>): number[];
}

/**
 * Declares an export of `assembly/kernels.ts`: its name and its parameter names, in the order the
 * AssemblyScript signature lists them (byte offsets into the module's memory are `usize`, sizes `i32`,
 * scales `f32`; all pass as JS numbers).
 *
 * @example
 * ```ts
 * const ROPE = wasmFunction('rope', ['x', 'cos', 'sin', 'out', 'planes', 'n', 'd', 'rotaryDim', 'interleaved'] as const);
 * rt.call(ROPE, { x, cos, sin, out, planes: b * h, n, d, rotaryDim, interleaved: 0 });
 * ```
 */
export function wasmFunction<const P extends readonly string[]>(name: string, params: P): WasmFunction<P> {
  if (new Set(params).size !== params.length)
    throw new Error(`wasmFunction ${name}: duplicate parameter names`);
  return Object.freeze({
    name,
    params,
    positional(args: WasmArgs<P>): number[] {
      const values = args as Readonly<Record<string, number>>;
      return params.map((p) => {
        const x = values[p];
        if (typeof x !== 'number')
          throw new TypeError(`${name}: argument \`${p}\` must be a number, got ${x}`);
        return x;
      });
    },
  });
}
