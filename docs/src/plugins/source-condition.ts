import type { LoadContext, Plugin } from '@docusaurus/types';

/**
 * Resolves workspace packages to their TypeScript sources through the `@efficient-attention/source` export
 * condition (as vitest and tsc do), so the site never needs the packages' `dist` built first. The packages
 * import siblings as `./x.js`; `extensionAlias` maps those to the `.ts` files.
 */
export function sourceConditionPlugin(_context: LoadContext): Plugin {
  return {
    name: 'efficient-attention-source-condition',
    configureWebpack(_config, isServer) {
      return {
        resolve: {
          conditionNames: [
            '@efficient-attention/source',
            'import',
            'module',
            ...(isServer ? ['node'] : ['browser']),
            'default',
          ],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
        },
      };
    },
  };
}
