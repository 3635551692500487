export { type BenchCase, type BenchRatio, type BenchSuite, defineBenchSuite } from './define-suite.js';
export { median } from './median.js';
