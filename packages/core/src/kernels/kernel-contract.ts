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
 * otherwise the reference runs. Registered kernels are forward kernels: training goes through the reference
 * unless the backend also registers a gradient.
 */
export interface KernelContract<Inputs extends Record<string, tf.Tensor>, Attrs extends object> {
  /** The tfjs kernel name, prefixed `EA` so it never collides with tfjs's own kernels. */
  readonly name: string;
  /** Names of the tensor inputs, in order. */
  readonly inputNames: readonly (keyof Inputs & string)[];
  /** The reference implementation from tfjs ops (attributes resolved first, as in `run`). */
  readonly reference: (inputs: Inputs, attrs: Attrs) => tf.Tensor;
  /**
   * Validates the attributes and fills in their defaults (identity when the contract has no rule): what
   * every path — registered kernel or reference — receives. Throws an `InvalidArgumentError` naming the
   * attribute, what it must be and what it was.
   */
  readonly resolveAttrs: (inputs: Inputs, attrs: Attrs) => Attrs;
  /** Resolves the attributes, then runs the registered kernel for the active backend, or the reference. */
  run(inputs: Inputs, attrs: Attrs): tf.Tensor;
}

/** Every contract defined so far, by name (an explicit registry: defining a name twice throws). */
const contracts = new Map<string, KernelContract<Record<string, tf.Tensor>, object>>();

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
export function defineKernelContract<Inputs extends Record<string, tf.Tensor>, Attrs extends object>(spec: {
  name: string;
  inputNames: readonly (keyof Inputs & string)[];
  reference: (inputs: Inputs, attrs: Attrs) => tf.Tensor;
  /** The attribute rule (validate, fill defaults); default: attributes pass as given. */
  resolveAttrs?: (inputs: Inputs, attrs: Attrs) => Attrs;
}): KernelContract<Inputs, Attrs> {
  if (contracts.has(spec.name)) throw new RegistryError(`Kernel contract "${spec.name}" is defined twice.`);
  const resolveAttrs = spec.resolveAttrs ?? ((_inputs: Inputs, attrs: Attrs) => attrs);
  const contract: KernelContract<Inputs, Attrs> = Object.freeze({
    name: spec.name,
    inputNames: spec.inputNames,
    resolveAttrs,
    reference: (inputs: Inputs, attrs: Attrs) => spec.reference(inputs, resolveAttrs(inputs, attrs)),
    run(inputs: Inputs, attrs: Attrs): tf.Tensor {
      const resolved = resolveAttrs(inputs, attrs);
      if (hasKernelFor(contract)) {
        return tf
          .engine()
          .runKernel(
            spec.name,
            inputs as unknown as tf.NamedTensorMap,
            resolved as unknown as tf.NamedAttrMap,
          ) as tf.Tensor;
      }
      warnReferenceFallback(spec.name);
      return spec.reference(inputs, resolved);
    },
  });
  contracts.set(spec.name, contract as unknown as KernelContract<Record<string, tf.Tensor>, object>);
  return contract;
}

/** Backends whose kernels were announced with {@link expectKernelsOn} (a registry of names). */
const expectedBackends = new Set<string>();
/** `contract/backend` pairs already warned about. */
const warnedFallbacks = new Set<string>();

function warnReferenceFallback(name: string): void {
  const backendName = tf.getBackend();
  if (!expectedBackends.has(backendName)) return;
  const key = `${name}/${backendName}`;
  if (warnedFallbacks.has(key)) return;
  warnedFallbacks.add(key);
  console.warn(
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
