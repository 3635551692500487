import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { memoryEfficientMechanism } from './core-mechanisms.js';
import type { MechanismDefinition } from './mechanism.js';
import { resolveMechanismConfig } from './mechanism-config.js';

describe('resolveMechanismConfig', () => {
  it('validates against the option schema and fills the defaults', () => {
    expect(resolveMechanismConfig(memoryEfficientMechanism, { queryChunkSize: 64 })).toEqual({
      queryChunkSize: 64,
      keyChunkSize: 4096,
    });
    expect(resolveMechanismConfig(memoryEfficientMechanism)).toEqual(memoryEfficientMechanism.defaultConfig);
    expect(() => resolveMechanismConfig(memoryEfficientMechanism, { queryChunkSize: 0 })).toThrow(
      /memory-efficient: `config\.queryChunkSize` must be an integer ≥ 1, received 0/,
    );
    expect(() =>
      resolveMechanismConfig(
        memoryEfficientMechanism,
        { chunk: 4 },
        'validateModelConfig',
        'config.attention.config',
      ),
    ).toThrow(/validateModelConfig: `config\.attention\.config\.chunk` must be one of the known options/);
    expect(() => resolveMechanismConfig(memoryEfficientMechanism, 3)).toThrow(InvalidArgumentError);
  });

  it('lets a definition with cross-key rules resolve its own config', () => {
    const definition: MechanismDefinition = {
      ...memoryEfficientMechanism,
      checkConfig: (config, fn, path) => {
        if (config.queryChunkSize !== undefined && config.keyChunkSize === undefined) {
          throw new InvalidArgumentError(fn, `${path}.keyChunkSize`, 'given with queryChunkSize', undefined);
        }
        return { resolved: true, ...config };
      },
    };
    expect(resolveMechanismConfig(definition, { queryChunkSize: 1, keyChunkSize: 2 })).toEqual({
      resolved: true,
      queryChunkSize: 1,
      keyChunkSize: 2,
    });
    expect(() => resolveMechanismConfig(definition, { queryChunkSize: 1 })).toThrow(/`config\.keyChunkSize`/);
  });
});
