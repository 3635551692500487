import { InvalidArgumentError } from './errors.js';
import type { AttentionDims } from './types.js';

/** Throws when `options` has a key outside `allowed`, so that a typo never passes silently.  *
 * @example
 * ```ts
 * assertKnownOptions('slidingWindow', options, ['before', 'after']); // throws on { befor: 3 }
 * ```
 */
export function assertKnownOptions(
  fn: string,
  options: object | undefined,
  allowed: readonly string[],
  /** How the object is named in messages: `options`, `options.xpos`, `attrs`… */
  path = 'options',
): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(fn, path, 'an options object', options);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(
        fn,
        `${path}.${key}`,
        `one of the known options (${allowed.join(', ')})`,
        key,
      );
    }
  }
}

/** Throws unless `value` is a finite number (optionally > 0, or an integer within bounds).  *
 * @example
 * ```ts
 * assertNumber('createBlockMask', 'options.blockSize', blockSize, { integer: true, positive: true });
 * ```
 */
export function assertNumber(
  fn: string,
  parameter: string,
  value: unknown,
  rule: { positive?: boolean; integer?: boolean; min?: number; max?: number; exclusive?: boolean } = {},
): asserts value is number {
  const parts: string[] = [];
  if (rule.integer) parts.push('an integer');
  else parts.push('a finite number');
  if (rule.positive) parts.push('> 0');
  const [lower, upper] = rule.exclusive ? ['>', '<'] : ['≥', '≤'];
  if (rule.exclusive && rule.min !== undefined && rule.max !== undefined) {
    parts.push(`in the open interval (${rule.min}, ${rule.max})`);
  } else {
    if (rule.min !== undefined) parts.push(`${lower} ${rule.min}`);
    if (rule.max !== undefined) parts.push(`${upper} ${rule.max}`);
  }
  const expected = parts.join(' ');
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InvalidArgumentError(fn, parameter, expected, value);
  if (rule.integer && !Number.isInteger(value))
    throw new InvalidArgumentError(fn, parameter, expected, value);
  if (rule.positive && value <= 0) throw new InvalidArgumentError(fn, parameter, expected, value);
  if (rule.min !== undefined && (value < rule.min || (rule.exclusive === true && value === rule.min)))
    throw new InvalidArgumentError(fn, parameter, expected, value);
  if (rule.max !== undefined && (value > rule.max || (rule.exclusive === true && value === rule.max)))
    throw new InvalidArgumentError(fn, parameter, expected, value);
}

/** The attention input shapes every kernel and reference takes: `[batch, heads, seq, dim]`, float32. */
interface ShapedLike {
  readonly shape: readonly number[];
  readonly dtype: string;
}

/**
 * Throws an {@link InvalidArgumentError} naming the argument when `x` is a disposed `tf.Tensor` (or
 * `tf.Variable`), instead of tfjs's `TypeError: Cannot read properties of undefined (reading 'backend')`
 * from deep inside the first op. Anything else passes: the shape and dtype checks come after it, and a
 * kernel's `TensorInfo` has no `isDisposed`.
 *
 * @example
 * ```ts
 * q.dispose();
 * assertLiveTensor('scaledDotProductAttention', 'q', q);
 * // scaledDotProductAttention: `q` must be a live tf.Tensor, received a float32 tensor of shape [1, 4, 16, 32].
 * // `q` is a disposed tensor: …
 * ```
 */
export function assertLiveTensor(fn: string, name: string, x: unknown): void {
  if (x === null || typeof x !== 'object' || (x as { isDisposed?: unknown }).isDisposed !== true) return;
  throw new InvalidArgumentError(
    fn,
    name,
    'a live tf.Tensor',
    x,
    `\`${name}\` is a disposed tensor: dispose() or the tf.tidy that created it freed it; use it before ` +
      'disposing it, or tf.keep it out of the tidy.',
  );
}

function assertShaped(fn: string, name: string, x: unknown): asserts x is ShapedLike {
  const t = x as { shape?: unknown; dtype?: unknown } | null;
  if (t === null || typeof t !== 'object' || !Array.isArray(t.shape) || typeof t.dtype !== 'string') {
    throw new InvalidArgumentError(fn, name, 'a tf.Tensor', x);
  }
  assertLiveTensor(fn, name, x);
}

/**
 * Checks attention inputs q `[batch, heads, qLen, headDim]`, k `[batch, kvHeads, kvLen, headDim]`,
 * v `[batch, kvHeads, kvLen, valueDim]` and returns their dimensions: the one shape rule of this library,
 * used by {@link validateAttentionInputs} (references, mechanisms) and by every attention kernel of
 * `@efficient-attention/backends`. Takes tensors or a kernel's `TensorInfo`s (anything with `shape` and
 * `dtype`).
 *
 * Rules: q, k, v are live (not disposed) float32 rank-4 tensors with every dimension ≥ 1; k and v agree on
 * batch, kv heads and length; q and k agree on batch and head dim; q heads are a multiple of kv heads (grouped-query
 * attention). Each violation throws an {@link InvalidArgumentError} naming the parameter (`k.shape[1]
 * (kv heads)`…), what it must be and what it was.
 *
 * @example
 * ```ts
 * const { batch, heads, kvHeads, qLen, kvLen, headDim, valueDim } = attentionDims('EAFusedAttention', q, k, v);
 * ```
 */
export function attentionDims(fn: string, q: unknown, k: unknown, v: unknown): AttentionDims {
  const named: Array<[string, unknown]> = [
    ['q', q],
    ['k', k],
    ['v', v],
  ];
  for (const [name, t] of named) {
    assertShaped(fn, name, t);
    if (t.shape.length !== 4) {
      throw new InvalidArgumentError(fn, name, 'a rank-4 tensor [batch, heads, seq, headDim]', t);
    }
    if (t.dtype !== 'float32') throw new InvalidArgumentError(fn, `${name}.dtype`, '"float32"', t.dtype);
    if (t.shape.some((s) => s < 1))
      throw new InvalidArgumentError(fn, `${name}.shape`, 'all dimensions ≥ 1', t.shape);
  }
  const [b, h, n, d] = (q as ShapedLike).shape as [number, number, number, number];
  const [kb, kh, m, kd] = (k as ShapedLike).shape as [number, number, number, number];
  const [vb, vh, vm, dv] = (v as ShapedLike).shape as [number, number, number, number];
  if (kb !== b) throw new InvalidArgumentError(fn, 'k.shape[0] (batch)', `${b} (q's batch)`, kb);
  if (vb !== b) throw new InvalidArgumentError(fn, 'v.shape[0] (batch)', `${b} (q's batch)`, vb);
  if (kd !== d) throw new InvalidArgumentError(fn, 'k.shape[3] (headDim)', `${d} (q's headDim)`, kd);
  if (vh !== kh) throw new InvalidArgumentError(fn, 'v.shape[1] (heads)', `${kh} (k's heads)`, vh);
  if (vm !== m) throw new InvalidArgumentError(fn, 'v.shape[2] (seq)', `${m} (k's sequence length)`, vm);
  if (h % kh !== 0) {
    throw new InvalidArgumentError(
      fn,
      'k.shape[1] (kv heads)',
      `a divisor of q's ${h} heads (grouped-query attention)`,
      kh,
    );
  }
  return { batch: b, heads: h, kvHeads: kh, qLen: n, kvLen: m, headDim: d, valueDim: dv };
}

/**
 * Validates attention inputs shaped `[batch, heads, seq, headDim]` and returns their dimensions: the
 * rules of {@link attentionDims}.
 *
 * @example
 * ```ts
 * const { batch, heads, qLen, kvLen, headDim } = validateAttentionInputs('myAttention', q, k, v);
 * ```
 */
export function validateAttentionInputs(fn: string, q: unknown, k: unknown, v: unknown): AttentionDims {
  return attentionDims(fn, q, k, v);
}
