/**
 * Errors thrown by every `@efficient-attention/*` package. Each names the parameter, what was expected and
 * what was received, so that a user can fix the call without reading our source.
 */

/** Formats a received value for an error message: shapes as `[a, b]`, strings quoted, long arrays cut.  *
 * @example
 * ```ts
 * describeValue(tf.zeros([2, 3])); // 'a float32 tensor of shape [2, 3]'
 * describeValue('x'); // '"x"'
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map(describeValue).join(', ');
    return `[${shown}${value.length > 8 ? ', …' : ''}]`;
  }
  if (value === null) return 'null';
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'object') {
    const maybeTensor = value as { shape?: unknown; dtype?: unknown };
    if (Array.isArray(maybeTensor.shape) && typeof maybeTensor.dtype === 'string') {
      return `a ${maybeTensor.dtype} tensor of shape ${describeValue(maybeTensor.shape)}`;
    }
    return 'an object';
  }
  return String(value);
}

/**
 * A parameter had the wrong value, type or shape.
 *
 * @example
 * ```ts
 * throw new InvalidArgumentError('scaledDotProductAttention', 'scale', 'a finite number', NaN);
 * // scaledDotProductAttention: `scale` must be a finite number, received NaN.
 * ```
 */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  constructor(
    /** The function that rejected the argument. */
    readonly fn: string,
    /** The parameter, e.g. `q` or `options.blockSize`. */
    readonly parameter: string,
    /** What the parameter must be, as a phrase: "a rank-4 tensor [batch, heads, seq, headDim]". */
    readonly expected: string,
    /** What was passed. */
    readonly received: unknown,
    /** An optional hint that says what to do. */
    hint?: string,
  ) {
    super(
      `${fn}: \`${parameter}\` must be ${expected}, received ${describeValue(received)}.${hint ? ` ${hint}` : ''}`,
    );
  }
}

/** Two options cannot be combined; the message says why and what to do instead.  *
 * @example
 * ```ts
 * throw new IncompatibleOptionsError('linformer', 'causal masking is not possible: E and F mix future keys into every projected key.');
 * ```
 */
export class IncompatibleOptionsError extends Error {
  override readonly name = 'IncompatibleOptionsError';
  constructor(
    readonly fn: string,
    message: string,
  ) {
    super(`${fn}: ${message}`);
  }
}

/** A registry lookup or registration failed (unknown name, or a name registered twice).  *
 * @example
 * ```ts
 * try { registry.get('flash'); } catch (e) { if (e instanceof RegistryError) console.log(e.message); }
 * ```
 */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
}
