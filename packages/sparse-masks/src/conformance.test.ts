import { describeMechanismConformance } from '@efficient-attention/conformance';
import { blockSparseMechanism } from './block-sparse-mechanism.js';

// The registered definition (default config: sliding window, radius 64, blocks of 64), then the same
// mechanism with other patterns as its default, so the conformance suite checks them against dense too.
describeMechanismConformance(blockSparseMechanism);
for (const config of [
  { pattern: 'bigbird', blockSize: 16, randomBlocks: 2 },
  { pattern: 'longformer', radius: 24, globalIndices: [0, 77], blockSize: 32 },
  { pattern: 'dilated-sliding-window', radius: 8, dilation: 3, blockSize: 32 },
]) {
  describeMechanismConformance({
    ...blockSparseMechanism,
    name: `block-sparse (${config.pattern})`,
    defaultConfig: config,
  });
}
