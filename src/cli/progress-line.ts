/**
 * Progress of a training run on one terminal line: a bar for the run's steps and one for the phase
 * of the step in flight. Pure: the caller gathers the numbers (queries, heartbeats) and draws.
 */

const FULL = '█';
const EMPTY = '░';

/** A bar `width` cells wide, filled to `fraction` (clamped to [0, 1]; NaN draws empty). */
export function bar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(f * width);
  return FULL.repeat(filled) + EMPTY.repeat(width - filled);
}

export interface PhaseView {
  /** 'rollouts', 'judging', 'rewards', 'policy update', ... */
  name: string;
  /** Fraction of the phase done, when it can be known. */
  fraction?: number;
  /** What the fraction counts, e.g. '2/4 shards'. */
  detail?: string;
}

export interface RunLineInput {
  completedSteps: number;
  totalSteps: number;
  /** The step in flight and how long it has run. */
  step?: { step: number; seconds: number; phase: PhaseView };
  /** Something other than a step (evaluation, data selection, a pause). */
  task?: string;
  lastReward?: number | null;
}

/** `steps ████░░░░ 5/12 · step 6 (14 s) rollouts ███░░ 38% · last reward 0.233` */
export function runLine(input: RunLineInput, widths = { run: 16, phase: 10 }): string {
  const parts = [
    `steps ${bar(input.completedSteps / Math.max(1, input.totalSteps), widths.run)} ${input.completedSteps}/${input.totalSteps}`,
  ];
  if (input.step !== undefined) {
    const { phase } = input.step;
    let text = `step ${input.step.step} (${Math.round(input.step.seconds)} s) ${phase.name}`;
    if (phase.fraction !== undefined) {
      text += ` ${bar(phase.fraction, widths.phase)} ${phase.detail ?? `${Math.floor(phase.fraction * 100)}%`}`;
    }
    parts.push(text);
  } else if (input.task !== undefined) {
    parts.push(input.task);
  }
  if (input.lastReward !== undefined && input.lastReward !== null)
    parts.push(`last reward ${input.lastReward.toFixed(3)}`);
  return parts.join(' · ');
}

/**
 * A line redrawn in place on a terminal (carriage return, erase line); permanent lines print above
 * it. Off a terminal (a pipe, a CI log) the plain form of the live line is printed when it changes,
 * so a log gets one line per phase instead of one per redraw.
 */
export class LiveLine {
  private shown = '';
  private lastPlain: string | undefined;

  constructor(private readonly stream: { write(text: string): unknown; isTTY?: boolean }) {}

  get isTerminal(): boolean {
    return this.stream.isTTY === true;
  }

  /** `line` on a terminal; elsewhere `plain`, once per change. */
  show(line: string, plain: string = line): void {
    if (this.isTerminal) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.shown = line;
    } else if (plain !== this.lastPlain) {
      this.stream.write(`${plain}\n`);
    }
    this.lastPlain = plain;
  }

  /** Prints a permanent line; on a terminal the live line is drawn again below it. */
  print(line: string): void {
    if (!this.isTerminal) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`\r\x1b[2K${line}\n`);
    if (this.shown !== '') this.stream.write(this.shown);
  }

  /** Erases the live line (before something else writes to the terminal). */
  clear(): void {
    if (this.isTerminal && this.shown !== '') this.stream.write('\r\x1b[2K');
  }

  /** Leaves the terminal on a fresh line. */
  end(): void {
    this.clear();
    this.shown = '';
  }
}
