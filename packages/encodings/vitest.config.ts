import { defineProject, mergeConfig } from 'vitest/config';
import { sharedProjectConfig } from '../../vitest.shared.js';

// Test files share a worker's module cache (isolate: false): tfjs and both backends load once per worker
// instead of once per file, which is most of this package's test time. Every test sets its own backend
// (describeBackends) and measures leaks as differences, so no state leaks between files.
export default mergeConfig(
  sharedProjectConfig,
  defineProject({ test: { name: 'encodings', isolate: false } }),
);
