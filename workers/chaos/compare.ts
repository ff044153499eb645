import {
  type ChainComparison,
  type ChainFault,
  type ChainLink,
  chainFaults,
  compareChains,
  DOUBLED_UPDATE_FAULTS,
} from '../../src/train/checkpoint-chain.ts';

/**
 * What the chaos benchmark observed of one run (workers/chaos/chaos-run.ts gathers it from the store,
 * the histories and the worker processes' log lines), and the comparison of a disturbed run with the
 * undisturbed one (pure).
 */

/** One disruption as it happened. */
export interface DisruptionRecord {
  index: number;
  /** `worker:<role>` or `server`. */
  target: string;
  /** The seeded wait before it, from the previous disruption (the run's start for the first). */
  delayMs: number;
  /** When it hit, from the run's start. */
  atMs: number;
  /** Steps the run had completed when it hit (its TrainStep search attribute); null: unknown. */
  stepsDone: number | null;
  /** How the process ended (the signal). */
  exit: string;
  /** From the kill until the restarted process polled (a worker) or answered (the server). */
  recoveredMs: number;
}

export interface RunObservation {
  label: string;
  /** The run's data folder (its server's SQLite file, store, worker logs). */
  dir: string;
  trainRunId: string;
  totalSteps: number;
  /** The run's result status ('completed', ...), or the error that ended the wait for it. */
  status: string;
  completedSteps: number;
  /** From starting the run to its result. */
  wallMs: number;
  /** The committed checkpoints in step order. */
  chain: ChainLink[];
  /** Per step: its rollout groups' addresses (content addressed) and how many were read back. */
  rollouts: Array<{ step: number; groups: string[]; resumedGroups: number }>;
  /** Summed over the committed judge shards (each the committing attempt's own counts). */
  judge: { shards: number; cacheHits: number; cacheMisses: number; requests: number };
  /** Requests the judge server answered during the run; null when the judge is not this process's. */
  judgeServerRequests: number | null;
  /**
   * Commits announced by the worker processes of the run (killed ones included), by what was
   * committed, keyed `<step>` (rollouts, updates) or `<step>/<shard>` (judgements): each must be 1.
   */
  commitsLogged: {
    rollouts: Record<string, number>;
    judgements: Record<string, number>;
    updates: Record<string, number>;
  };
  /** Activity attempts beyond the first, by activity type, over the run's step workflows. */
  activityRetries: Record<string, number>;
  /** Workflow tasks that timed out or failed, over the run's and its steps' histories. */
  workflowTaskTimeouts: number;
  disruptions: DisruptionRecord[];
  /** Worker processes that exited without being killed (each was restarted). */
  unplannedExits: Array<{ role: string; how: string; atMs: number }>;
}

export interface ChaosSummary {
  steps: number;
  disruptions: {
    planned: number;
    done: number;
    kills: number;
    serverRestarts: number;
    unplannedExits: number;
  };
  completed: { undisturbed: boolean; disturbed: boolean };
  /** Steps of 1..N without a committed checkpoint in the disturbed run. */
  stepsLost: number[];
  /** Commits not announced exactly once, as `<what> <key>: <count>x`. */
  commitsNotOnce: string[];
  /** Chain faults of the disturbed run that mean an update applied twice, or to the wrong weights. */
  updatesDoubled: ChainFault[];
  chainFaults: { undisturbed: ChainFault[]; disturbed: ChainFault[] };
  recomputed: {
    /** Rollout groups a retried attempt read back instead of sampling again. */
    rolloutGroupsReadBack: number;
    /** Checkpoints whose update was written by a second or later attempt (the first was lost). */
    updatesRedone: number;
    activityRetries: Record<string, number>;
    workflowTaskTimeouts: number;
    /** Verdicts served from the verdict cache (fresh per run: in the undisturbed run, repeats only). */
    judgeCacheHits: { undisturbed: number; disturbed: number };
    /** Verdicts the judge server graded more often than in the undisturbed run; null: not counted. */
    verdictsGradedAgain: number | null;
  };
  adapters: ChainComparison & {
    /** The first step whose rollouts (group contents) differ between the runs; null: none. */
    rolloutsFirstDifferentStep: number | null;
  };
  wall: {
    undisturbedMs: number;
    disturbedMs: number;
    overheadMs: number;
    /** Overhead over the disruptions done; null when none was. */
    perDisruptionMs: number | null;
    /** Mean time from a kill to the restarted process being back. */
    meanRecoveryMs: number | null;
  };
  /** Both runs completed, nothing lost, every commit once, both chains without a fault. */
  guaranteesHeld: boolean;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Keys whose count is not 1, and the expected keys absent, as `<what> <key>: <count>x`. */
function notOnce(what: string, counts: Record<string, number>, expected: readonly string[]): string[] {
  const keys = [...new Set([...expected, ...Object.keys(counts)])].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  return keys.filter((k) => (counts[k] ?? 0) !== 1).map((k) => `${what} ${k}: ${counts[k] ?? 0}x`);
}

/** The first step whose rollout groups differ between two runs; null when the shared steps agree. */
function firstDifferentRollouts(a: RunObservation['rollouts'], b: RunObservation['rollouts']): number | null {
  const byStep = new Map(b.map((r) => [r.step, r.groups.join(',')]));
  for (const r of [...a].sort((x, y) => x.step - y.step)) {
    const other = byStep.get(r.step);
    if (other !== undefined && other !== r.groups.join(',')) return r.step;
  }
  return null;
}

/** Compares a disturbed run with the undisturbed run of the same configuration and seed. */
export function compareRuns(options: {
  undisturbed: RunObservation;
  disturbed: RunObservation;
  planned: number;
}): ChaosSummary {
  const { undisturbed: u, disturbed: d } = options;
  const steps = d.totalSteps;
  const everyStep = Array.from({ length: steps }, (_, i) => `${i + 1}`);
  const faults = { undisturbed: chainFaults(u.chain, { steps }), disturbed: chainFaults(d.chain, { steps }) };
  const have = new Set(d.chain.map((l) => l.step));
  const stepsLost = everyStep.map(Number).filter((s) => !have.has(s));
  const commitsNotOnce = [
    ...notOnce('rollouts', d.commitsLogged.rollouts, everyStep),
    // The shards per step are the configuration's: the undisturbed run committed each once.
    ...notOnce('judgements', d.commitsLogged.judgements, Object.keys(u.commitsLogged.judgements)),
    ...notOnce('update', d.commitsLogged.updates, everyStep),
  ];
  const updatesDoubled = faults.disturbed.filter((f) => DOUBLED_UPDATE_FAULTS.includes(f.kind));
  const completed = {
    undisturbed: u.status === 'completed' && u.completedSteps === steps,
    disturbed: d.status === 'completed' && d.completedSteps === steps,
  };
  const kills = d.disruptions.filter((x) => x.target !== 'server').length;
  const done = d.disruptions.length;
  const overheadMs = d.wallMs - u.wallMs;
  return {
    steps,
    disruptions: {
      planned: options.planned,
      done,
      kills,
      serverRestarts: done - kills,
      unplannedExits: d.unplannedExits.length,
    },
    completed,
    stepsLost,
    commitsNotOnce,
    updatesDoubled,
    chainFaults: faults,
    recomputed: {
      rolloutGroupsReadBack: sum(d.rollouts.map((r) => r.resumedGroups)),
      updatesRedone: d.chain.filter((l) => l.updateAttempt > 1).length,
      activityRetries: d.activityRetries,
      workflowTaskTimeouts: d.workflowTaskTimeouts,
      judgeCacheHits: { undisturbed: u.judge.cacheHits, disturbed: d.judge.cacheHits },
      verdictsGradedAgain:
        u.judgeServerRequests === null || d.judgeServerRequests === null
          ? null
          : d.judgeServerRequests - u.judgeServerRequests,
    },
    adapters: {
      ...compareChains(u.chain, d.chain),
      rolloutsFirstDifferentStep: firstDifferentRollouts(u.rollouts, d.rollouts),
    },
    wall: {
      undisturbedMs: u.wallMs,
      disturbedMs: d.wallMs,
      overheadMs,
      perDisruptionMs: done === 0 ? null : overheadMs / done,
      meanRecoveryMs: done === 0 ? null : sum(d.disruptions.map((x) => x.recoveredMs)) / done,
    },
    guaranteesHeld:
      completed.disturbed &&
      completed.undisturbed &&
      stepsLost.length === 0 &&
      commitsNotOnce.length === 0 &&
      updatesDoubled.length === 0 &&
      faults.undisturbed.length === 0 &&
      faults.disturbed.length === 0,
  };
}
