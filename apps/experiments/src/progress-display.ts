import { MultiBar, Presets } from 'cli-progress';

/** One bar of the live display. */
export interface RunProgress {
  /** Reports a training step (or a finished measurement) with its loss when there is one. */
  update(step: number, loss?: number): void;
  /** Completes the bar and shows how the run ended ('ok', 'failed: …'). */
  finish(status: string): void;
}

/**
 * The live progress display: an overall bar (runs done of the preset's total) and one bar per running
 * run with its step, loss and ETA. On a terminal it redraws in place (cli-progress `MultiBar`); elsewhere
 * (CI logs) it prints a line every few seconds.
 */
export class ProgressDisplay {
  private readonly bars: MultiBar;
  private readonly overall: ReturnType<MultiBar['create']>;

  constructor(totalRuns: number, stream: NodeJS.WriteStream = process.stderr) {
    this.bars = new MultiBar(
      {
        format: ' {bar} {label} | {value}/{total} | loss {loss} | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        noTTYOutput: true,
        notTTYSchedule: 5000,
        etaBuffer: 20,
        barsize: 24,
        stream,
      },
      Presets.shades_classic,
    );
    this.overall = this.bars.create(totalRuns, 0, { label: 'all runs'.padEnd(44), loss: '' });
  }

  /** Starts a bar for one run with `total` steps. */
  start(label: string, total: number): RunProgress {
    const bar = this.bars.create(total, 0, { label: label.slice(0, 44).padEnd(44), loss: '—' });
    return {
      update: (step, loss) =>
        bar.update(
          step,
          loss === undefined ? {} : { loss: Number.isFinite(loss) ? loss.toFixed(4) : String(loss) },
        ),
      finish: (status) => {
        bar.update(total, { loss: status.slice(0, 40) });
        bar.stop();
        this.bars.remove(bar);
        this.overall.increment();
        this.bars.log(`${status.startsWith('failed') ? '✗' : '✓'} ${label}: ${status}\n`);
      },
    };
  }

  /** Prints a line above the bars. */
  log(line: string): void {
    this.bars.log(`${line}\n`);
  }

  stop(): void {
    this.bars.stop();
  }
}
