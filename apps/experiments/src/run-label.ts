/** A run's id: experiment, variant and seed, kebab-case, usable as a file name. */
export function runId(experiment: string, variant: string, seed: number): string {
  const slug = variant
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${experiment}.${slug}.seed-${seed}`;
}
