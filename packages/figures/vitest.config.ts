import { defineProject, mergeConfig } from 'vitest/config';
import { sharedProjectConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedProjectConfig,
  defineProject({ test: { name: 'figures', environment: 'happy-dom', setupFiles: ['./src/test-setup.ts'] } }),
);
