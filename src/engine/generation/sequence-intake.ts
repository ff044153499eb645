import type { TokenConstraint } from '../sampling/token-constraint.ts';
import type { DrawParams } from './generation-types.ts';

/** A sequence as the generation loop sees it: its prompt and how its tokens are drawn. */
export interface SequenceSpec {
  /** Reported back as the sequence's `index`. */
  readonly index: number;
  readonly prompt: readonly number[];
  /** Its random stream (see runGeneration). */
  readonly stream: number;
  readonly params: DrawParams;
  readonly stops: ReadonlySet<number>;
  /** Masks the tokens it may not draw (constrained decoding). */
  readonly constraint?: TokenConstraint;
}

/**
 * Where the generation loop gets its sequences: all at once (a batch of rollouts), or while it runs
 * (a server's requests), with drops of sequences whose caller went away.
 */
export interface SequenceIntake {
  /** Sequences that arrived since the last call, in arrival order. */
  take(): SequenceSpec[];
  /** Sequences to stop since the last call (waiting or running); they are not reported. */
  dropped(): number[];
  /** True once no more sequences will arrive. */
  readonly ended: boolean;
  /** Resolves when there is something to take or drop, or arrivals have ended. */
  arrival(): Promise<void>;
  /**
   * Called before each step while sequences run: resolves false at once, unless the generation is
   * paced (see OpenIntake); then it calls `onHold` with the steps run so far, waits for a grant and
   * resolves true (the loop then takes in what arrived or was dropped meanwhile).
   */
  nextStep(onHold: (stepsRun: number) => void): Promise<boolean>;
  /** A paced intake's steps run so far (reported when the loop idles); undefined unless paced. */
  readonly pacedSteps: number | undefined;
}

/** Every sequence at once; nothing arrives later. */
export function closedIntake(specs: readonly SequenceSpec[]): SequenceIntake {
  let pending = [...specs];
  return {
    take: () => {
      const out = pending;
      pending = [];
      return out;
    },
    dropped: () => [],
    ended: true,
    arrival: () => Promise.resolve(),
    nextStep: () => Promise.resolve(false),
    pacedSteps: undefined,
  };
}

/**
 * Sequences added, dropped and ended from outside (the session worker's intake messages). A paced
 * intake lets the loop run only the steps granted to it (`grant`), so that a test can put events
 * (a sequence dropped, another added) at a known step instead of racing the loop; once arrivals
 * have ended it runs freely.
 */
export class OpenIntake implements SequenceIntake {
  private added: SequenceSpec[] = [];
  private drops: number[] = [];
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly paced: boolean;
  private granted = 0;
  private stepsRun = 0;

  constructor(options: { paced?: boolean } = {}) {
    this.paced = options.paced === true;
  }

  get ended(): boolean {
    return this.closed;
  }

  get pacedSteps(): number | undefined {
    return this.paced ? this.stepsRun : undefined;
  }

  add(specs: readonly SequenceSpec[]): void {
    this.added.push(...specs);
    this.notify();
  }

  drop(indices: readonly number[]): void {
    this.drops.push(...indices);
    this.notify();
  }

  /** No more arrivals: the loop finishes what it has and returns. */
  end(): void {
    this.closed = true;
    this.notify();
  }

  take(): SequenceSpec[] {
    const out = this.added;
    this.added = [];
    return out;
  }

  dropped(): number[] {
    const out = this.drops;
    this.drops = [];
    return out;
  }

  arrival(): Promise<void> {
    if (this.added.length > 0 || this.drops.length > 0 || this.closed) return Promise.resolve();
    return this.changed();
  }

  /** Lets a paced loop run `steps` more steps. */
  grant(steps: number): void {
    this.granted += steps;
    this.notify();
  }

  async nextStep(onHold: (stepsRun: number) => void): Promise<boolean> {
    if (!this.paced || this.closed) return false;
    if (this.stepsRun >= this.granted) {
      onHold(this.stepsRun);
      while (this.stepsRun >= this.granted && !this.closed) await this.changed();
    }
    this.stepsRun++;
    return true;
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
