import { cpus, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';

/** The machine a benchmark ran on: stored with every result file (absolute times drift between machines). */
export function machineInfo() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    logicalCores: cpu.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    tfjs: tf.version_core,
    date: new Date().toISOString(),
  };
}
