declare module '@generated/experiment-results/default/results.json' {
  import type { ExperimentResults } from './plugins/experiment-results';

  const results: ExperimentResults;
  export default results;
}

declare module '!!raw-loader!*' {
  const source: string;
  export default source;
}
