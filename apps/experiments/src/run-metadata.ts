import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import type { CapabilityReport } from '@efficient-attention/backends';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice } from './cli-options.js';

/** Where and with what a result was produced; stored with every results file. */
export interface RunMetadata {
  machine: {
    cpu: string;
    logicalCores: number;
    /** 1, 5 and 15 minute load averages when the run started (timings on a loaded machine are noisy). */
    loadAverage: number[];
    totalMemoryBytes: number;
    platform: string;
    arch: string;
  };
  versions: { node: string; tfjs: string; packages: Record<string, string> };
  git: { commit: string | null; dirty: boolean | null };
  date: string;
  /**
   * The backend asked for (`--backend`) and `initBackend`'s capability report of the one it chose
   * (`report.backend`): SIMD, threads, and which kernel contracts ran a kernel or their tfjs-ops reference.
   */
  capabilities: { requested: BackendChoice; report: CapabilityReport };
}

const PACKAGES = [
  '@efficient-attention/core',
  '@efficient-attention/backends',
  '@efficient-attention/encodings',
  '@efficient-attention/sparse-masks',
  '@efficient-attention/adaptive',
  '@efficient-attention/linear-attention',
  '@efficient-attention/bitnet',
  '@efficient-attention/transformer',
  'vega',
  'vega-lite',
];

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/**
 * Collects machine, versions and git state (git fields are null outside a repository), with the backend
 * asked for and the capability report of the one `initBackend` chose.
 */
export function collectRunMetadata(requested: BackendChoice, report: CapabilityReport): RunMetadata {
  const require = createRequire(import.meta.url);
  const own = require('../package.json') as { version: string; dependencies: Record<string, string> };
  const packages: Record<string, string> = { '@efficient-attention/experiments': own.version };
  for (const name of PACKAGES) {
    try {
      packages[name] = (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      // Packages whose exports map hides package.json (vega): the exact version this app pins.
      packages[name] = own.dependencies[name] ?? 'unknown';
    }
  }
  const status = git(['status', '--porcelain']);
  return {
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      logicalCores: cpus().length,
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      totalMemoryBytes: totalmem(),
      platform: platform(),
      arch: arch(),
    },
    versions: { node: process.version, tfjs: tf.version_core, packages },
    git: { commit: git(['rev-parse', 'HEAD']), dirty: status === null ? null : status !== '' },
    date: new Date().toISOString(),
    capabilities: { requested, report },
  };
}
