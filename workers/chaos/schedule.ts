import type { WorkerRole } from '../../src/contracts/task-queues.ts';
import { createRng } from '../../src/graph/random.ts';

/**
 * The chaos benchmark's disruptions, drawn from a seed (pure): which worker process is SIGKILLed, or
 * the dev server, and after how long. Delays are drawn as fractions of a mean gap, so one seed gives
 * the same targets and the same relative timing whatever the gap is scaled to (the undisturbed run's
 * wall time, or `--mean-gap`).
 */

export type DisruptionTarget = { kind: 'worker'; role: WorkerRole } | { kind: 'server' };

export interface Disruption {
  /** 1-based, in the order they happen. */
  index: number;
  target: DisruptionTarget;
  /**
   * Wait before this disruption, counted from the run's start (the first) or from when the previous
   * one hit; a disruption never hits before the previous one was recovered from (the restarted
   * worker polls, or the restarted server answers), so a delay shorter than that recovery is cut to it.
   */
  delayMs: number;
}

/** Delays are uniform in [LOW, HIGH) times the mean gap: never right on top of the previous one. */
const LOW = 0.25;
const HIGH = 1.75;

/**
 * `kills` worker kills (each on a role drawn uniformly from `roles`) and `serverRestarts` server
 * restarts, interleaved at seeded positions, each after a seeded delay around `meanGapMs`.
 */
export function chaosSchedule(options: {
  seed: number;
  kills: number;
  serverRestarts: number;
  roles: readonly WorkerRole[];
  meanGapMs: number;
}): Disruption[] {
  const { seed, kills, serverRestarts, roles, meanGapMs } = options;
  for (const [name, n] of [
    ['kills', kills],
    ['serverRestarts', serverRestarts],
  ] as const) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name}: expected an integer >= 0, got ${n}`);
  }
  if (kills > 0 && roles.length === 0) throw new RangeError('roles: expected at least one role to kill');
  if (!(meanGapMs > 0)) throw new RangeError(`meanGapMs: expected a positive number, got ${meanGapMs}`);
  const rng = createRng(seed);
  // Positions of the server restarts among all disruptions: a seeded shuffle (Fisher-Yates).
  const kinds: Array<'worker' | 'server'> = [
    ...Array.from({ length: kills }, () => 'worker' as const),
    ...Array.from({ length: serverRestarts }, () => 'server' as const),
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds.map((kind, i) => {
    const target: DisruptionTarget =
      kind === 'server' ? { kind: 'server' } : { kind: 'worker', role: roles[rng.int(roles.length)]! };
    const delayMs = Math.round(meanGapMs * (LOW + (HIGH - LOW) * rng.uniform()));
    return { index: i + 1, target, delayMs };
  });
}

/**
 * The mean gap that spreads `disruptions` over a run of `wallMs` (the undisturbed run's): one gap more
 * than disruptions, so the last one is due before the undisturbed run would have ended.
 */
export function meanGapFor(options: { wallMs: number; disruptions: number }): number {
  return options.wallMs / (options.disruptions + 1);
}

/** `worker:trainer`, `server`. */
export function targetName(target: DisruptionTarget): string {
  return target.kind === 'server' ? 'server' : `worker:${target.role}`;
}
