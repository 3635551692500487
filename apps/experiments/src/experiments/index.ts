import type { ExperimentName } from '../cli-options.js';
import type { Experiment } from '../experiment.js';
import { attentionKernelsExperiment } from './attention-kernels.js';
import { charLmBitnetExperiment } from './char-lm-bitnet.js';
import { inferenceScalingExperiment } from './inference-scaling.js';
import { lengthExtrapolationExperiment } from './length-extrapolation.js';
import { listOpsExperiment } from './listops.js';
import { mqarExperiment } from './mqar.js';

/** Every experiment by name (the CLI's `--only` names). */
export const EXPERIMENTS: Readonly<Record<ExperimentName, Experiment>> = Object.freeze({
  'attention-kernels': attentionKernelsExperiment,
  'inference-scaling': inferenceScalingExperiment,
  mqar: mqarExperiment,
  'length-extrapolation': lengthExtrapolationExperiment,
  listops: listOpsExperiment,
  'char-lm-bitnet': charLmBitnetExperiment,
});
