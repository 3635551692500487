/**
 * Settings every project's vitest config shares: resolve workspace packages to their TypeScript source
 * (the `@efficient-attention/source` export condition) so tests never need a build first.
 */
export const sourceCondition = '@efficient-attention/source';

/**
 * A long fuzz run (`FUZZ_RUNS=…`) runs each property thousands of times: its tests take as long as the runs
 * need (each generated case has its own time box in the fuzz harness, which is what catches a hang), so the
 * per-test timeout is off then. Found by a FUZZ_RUNS=6000 run: a property that held all 12,000 cases failed
 * on the 60 s timeout.
 */
const testTimeout = process.env.FUZZ_RUNS ? 0 : 60_000;

export const sharedProjectConfig = {
  resolve: { conditions: [sourceCondition, 'import', 'module', 'default'] },
  ssr: { resolve: { conditions: [sourceCondition, 'import', 'module', 'node', 'default'] } },
  test: {
    environment: 'node' as const,
    testTimeout,
    hookTimeout: 60_000,
  },
};
