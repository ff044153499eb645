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
  };
}

/** Sequences added, dropped and ended from outside (the session worker's intake messages). */
export class OpenIntake implements SequenceIntake {
  private added: SequenceSpec[] = [];
  private drops: number[] = [];
  private closed = false;
  private wake: (() => void) | undefined;

  get ended(): boolean {
    return this.closed;
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
