/**
 * `@efficient-attention/all`: every built-in mechanism, positional encoding and mask pattern of the
 * library, as lists and as registries, with one `registerAll()` call. The transformer, the playground, the
 * experiments, the docs' generated tables and the conformance test iterate this catalogue instead of
 * keeping their own lists.
 *
 * @packageDocumentation
 */
export {
  builtinCatalogue,
  builtinEncodings,
  builtinMechanisms,
  builtinPatterns,
  type Catalogue,
  createCatalogue,
  registerAll,
} from './catalogue.js';
