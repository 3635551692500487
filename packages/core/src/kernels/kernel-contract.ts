import * as tf from '@tensorflow/tfjs-core';
import { RegistryError } from '../errors.js';

/**
 * A kernel contract in the style of tfjs's `kernel_names.ts`: the name a backend registers with
 * `tf.registerKernel`, the typed inputs and attributes, and a reference implementation built from plain
 * tfjs ops. "Reference" always means this implementation.
 *
 * Calls go through {@link KernelContract.run}: the attributes are validated and their defaults filled in
 * first (`resolveAttrs`, the one place a contract's attribute rule lives), then, when the active backend
 * has a kernel registered under `name`, tfjs runs it (`engine().runKernel`) with the resolved attributes;
 * otherwise the reference runs. A contract with a `gradient` registers it with tfjs, so training runs through
 * the kernels; one without runs its reference while a gradient tape records (no tape breaks).
 */
/**
 * The gradient of a kernel contract, registered with tfjs's gradient registry (`tf.registerGradient`) for the
 * contract's kernel name, so `tf.grad`, `tf.variableGrads` and the optimizers differentiate through whichever
 * backend kernel ran. `gradFunc` receives the output gradient (an array when the kernel has several outputs;
 * tfjs fills unused ones with zeros), the saved tensors (`inputsToSave` in order, then the outputs flagged in
 * `outputsToSave` that the kernel returned) and the resolved attributes, and returns one thunk per input.
 */
export interface KernelGradient<Inputs extends Record<string, tf.Tensor>, Attrs extends object> {
  readonly inputsToSave?: readonly (keyof Inputs & string)[];
  readonly outputsToSave?: readonly boolean[];
  readonly gradFunc: (
    dy: tf.Tensor | tf.Tensor[],
    saved: tf.Tensor[],
    attrs: Attrs,
  ) => Partial<Record<keyof Inputs & string, () => tf.Tensor>>;
}

export interface KernelContract<
  Inputs extends Record<string, tf.Tensor>,
  Attrs extends object,
  Output extends tf.Tensor | tf.Tensor[] = tf.Tensor,
> {
  /** The tfjs kernel name, prefixed `EA` so it never collides with tfjs's own kernels. */
  readonly name: string;
  /** Names of the tensor inputs, in order. */
  readonly inputNames: readonly (keyof Inputs & string)[];
  /** The reference implementation from tfjs ops (attributes resolved first, as in `run`). */
  readonly reference: (inputs: Inputs, attrs: Attrs) => Output;
  /**
   * Validates the attributes and fills in their defaults (identity when the contract has no rule): what
   * every path — registered kernel or reference — receives. Throws an `InvalidArgumentError` naming the
   * attribute, what it must be and what it was.
   */
  readonly resolveAttrs: (inputs: Inputs, attrs: Attrs) => Attrs;
  /** Whether the contract registers a gradient (`spec.gradient`) with tfjs. */
  readonly hasGradient: boolean;
  /**
   * Resolves the attributes, then runs the registered kernel for the active backend, or the reference, and
   * returns the first output (a kernel's further outputs — e.g. the attention kernels' row log-sum-exp,
   * saved for their gradient — are disposed).
   */
  run(inputs: Inputs, attrs: Attrs): tf.Tensor;
  /** As {@link KernelContract.run}, returning every output of the path that ran. */
  runOutputs(inputs: Inputs, attrs: Attrs): tf.Tensor[];
}

/** Every contract defined so far, by name (an explicit registry: defining a name twice throws). */
type AnyContract = KernelContract<Record<string, tf.Tensor>, object, tf.Tensor | tf.Tensor[]>;
const contracts = new Map<string, AnyContract>();

/**
 * Defines a kernel contract. Backends implement it with
 * `tf.registerKernel({ kernelName: contract.name, backendName, kernelFunc })`.
 *
 * @example
 * ```ts
 * export const scaleKernel = defineKernelContract<{ x: tf.Tensor }, { factor: number }>({
 *   name: 'EAScale',
 *   inputNames: ['x'],
 *   reference: ({ x }, { factor }) => tf.mul(x, factor),
 * });
 * scaleKernel.run({ x }, { factor: 2 });
 * ```
 */
export function defineKernelContract<
  Inputs extends Record<string, tf.Tensor>,
  Attrs extends object,
  Output extends tf.Tensor | tf.Tensor[] = tf.Tensor,
>(spec: {
  name: string;
  inputNames: readonly (keyof Inputs & string)[];
  reference: (inputs: Inputs, attrs: Attrs) => Output;
  /** The attribute rule (validate, fill defaults); default: attributes pass as given. */
  resolveAttrs?: (inputs: Inputs, attrs: Attrs) => Attrs;
  /** The gradient of the kernel's outputs, registered with tfjs for `name`; without it, see `run`. */
  gradient?: KernelGradient<Inputs, Attrs>;
}): KernelContract<Inputs, Attrs, Output> {
  if (contracts.has(spec.name)) throw new RegistryError(`Kernel contract "${spec.name}" is defined twice.`);
  const resolveAttrs = spec.resolveAttrs ?? ((_inputs: Inputs, attrs: Attrs) => attrs);
  if (spec.gradient !== undefined) {
    const { gradFunc, inputsToSave, outputsToSave } = spec.gradient;
    tf.registerGradient({
      kernelName: spec.name,
      ...(inputsToSave ? { inputsToSave: [...inputsToSave] } : {}),
      ...(outputsToSave ? { outputsToSave: [...outputsToSave] } : {}),
      gradFunc: (dy, saved, attrs) =>
        gradFunc(dy, saved, attrs as unknown as Attrs) as Record<string, () => tf.Tensor>,
    });
  }
  const asList = (out: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(out) ? out : [out]);
  const contract: KernelContract<Inputs, Attrs, Output> = Object.freeze({
    name: spec.name,
    inputNames: spec.inputNames,
    resolveAttrs,
    hasGradient: spec.gradient !== undefined,
    reference: (inputs: Inputs, attrs: Attrs) => spec.reference(inputs, resolveAttrs(inputs, attrs)),
    runOutputs(inputs: Inputs, attrs: Attrs): tf.Tensor[] {
      const resolved = resolveAttrs(inputs, attrs);
      if (hasKernelFor(contract)) {
        // No tape breaks: a kernel without a gradient cannot be recorded, so while a gradient tape records
        // the (differentiable) reference runs instead.
        if (spec.gradient === undefined && isTapeRecording()) {
          warnOnce(
            `${spec.name}/tape`,
            `${spec.name} has a kernel but no gradient: while a gradient tape records, the tfjs-ops ` +
              'reference runs instead (correct, slower). This warning is shown once per kernel.',
          );
          return asList(spec.reference(inputs, resolved));
        }
        return asList(
          tf
            .engine()
            .runKernel(
              spec.name,
              inputs as unknown as tf.NamedTensorMap,
              resolved as unknown as tf.NamedAttrMap,
            ) as tf.Tensor | tf.Tensor[],
        );
      }
      warnReferenceFallback(spec.name);
      return asList(spec.reference(inputs, resolved));
    },
    run(inputs: Inputs, attrs: Attrs): tf.Tensor {
      const [first, ...rest] = contract.runOutputs(inputs, attrs);
      for (const t of rest) t.dispose();
      return first!;
    },
  });
  contracts.set(spec.name, contract as unknown as AnyContract);
  return contract;
}

/**
 * Whether a gradient tape is recording the ops run now (inside `tf.grad`, `tf.variableGrads`, an optimizer's
 * `minimize`, but not inside a kernel). Reads tfjs's engine state (the condition of its private `isTapeOn`).
 */
export function isTapeRecording(): boolean {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; kernelDepth: number } }).state;
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

const warned = new Set<string>();

function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}

/** Backends whose kernels were announced with {@link expectKernelsOn} (a registry of names). */
const expectedBackends = new Set<string>();

function warnReferenceFallback(name: string): void {
  const backendName = tf.getBackend();
  if (!expectedBackends.has(backendName)) return;
  warnOnce(
    `${name}/${backendName}`,
    `${name} has no kernel registered for the "${backendName}" backend: running the tfjs-ops reference ` +
      '(correct, slower). This warning is shown once per kernel and backend.',
  );
}

/**
 * Announces that fast kernels are expected on a backend (`@efficient-attention/backends`' `initBackend`
 * calls it for the backend it picks): from then on, a contract that runs its reference there because no
 * kernel is registered warns once (per contract and backend) instead of falling back silently. Never an
 * error: the reference is always correct.
 *
 * @example
 * ```ts
 * expectKernelsOn('webgl');
 * ropeKernel.run({ x, cos, sin }, attrs); // warns once if no `webgl` EARope kernel is registered
 * ```
 */
export function expectKernelsOn(backendName: string): void {
  expectedBackends.add(backendName);
}

/**
 * Says once (per function and reason, only on a backend where kernels were announced with
 * {@link expectKernelsOn}) that a call cannot take its fast kernel and runs tfjs ops instead, and why.
 *
 * @example
 * ```ts
 * noteReferencePath('scaledDotProductAttention', 'mask', 'options.mask has no fused kernel');
 * ```
 */
export function noteReferencePath(fn: string, key: string, reason: string): void {
  const backendName = tf.getBackend();
  if (!expectedBackends.has(backendName)) return;
  warnOnce(
    `${fn}/${key}/${backendName}`,
    `${fn}: ${reason}, so it runs on tfjs ops on "${backendName}" (correct, slower). Shown once.`,
  );
}

/** Whether the active (or given) backend has a kernel registered for the contract.  *
 * @example
 * ```ts
 * if (!hasKernelFor(fusedAttentionKernel, 'webgpu')) console.warn('webgpu runs the reference attention');
 * ```
 */
export function hasKernelFor(contract: { name: string }, backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(contract.name, backendName) !== undefined;
}

/** Names of all defined kernel contracts (for capability reports and docs).  *
 * @example
 * ```ts
 * listKernelContracts(); // ['EAFusedAttention', …]
 * ```
 */
export function listKernelContracts(): string[] {
  return [...contracts.keys()].sort();
}
