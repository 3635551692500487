/**
 * Settings every project's vitest config shares: resolve workspace packages to their TypeScript source
 * (the `@efficient-attention/source` export condition) so tests never need a build first.
 */
export const sourceCondition = '@efficient-attention/source';

export const sharedProjectConfig = {
  resolve: { conditions: [sourceCondition, 'import', 'module', 'default'] },
  ssr: { resolve: { conditions: [sourceCondition, 'import', 'module', 'node', 'default'] } },
  test: {
    environment: 'node' as const,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
};
