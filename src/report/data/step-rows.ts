import type { MetricsRecord } from '../../train/metrics.ts';
import type { EvalRow, LiveRunState, StepRow, StepState } from './report-data.ts';

/**
 * A row per training step 1..N, where N is the planned step count or the last step anything is known
 * of, whichever is larger. A step with a metrics record is done; one without is failed (the live
 * state says so), running, incomplete (it left artifacts) or not run. Never a row of zeros.
 */
export function buildStepRows(options: {
  records: readonly MetricsRecord[];
  /** Steps with artifacts in the store (rollouts, verdicts, rewards). */
  started: ReadonlySet<number>;
  totalSteps: number | null;
  live: LiveRunState | null;
}): StepRow[] {
  const { live } = options;
  const byStep = new Map(options.records.filter((r) => r.purpose === 'train').map((r) => [r.step, r]));
  const last = Math.max(
    options.totalSteps ?? 0,
    ...byStep.keys(),
    ...options.started,
    live?.failure?.step ?? 0,
    live?.currentStep ?? 0,
  );
  const rows: StepRow[] = [];
  for (let step = 1; step <= last; step++) {
    const record = byStep.get(step);
    if (record !== undefined) {
      rows.push({
        step,
        state: { kind: 'done' },
        stage: record.stage,
        at: record.at,
        metrics: record.metrics,
      });
      continue;
    }
    let state: StepState;
    if (live?.failure?.step === step) {
      state = { kind: 'failed', type: live.failure.type, message: live.failure.message };
    } else if (live?.currentStep === step && live.status === 'running') state = { kind: 'running' };
    else if (options.started.has(step)) state = { kind: 'incomplete' };
    else state = { kind: 'not-run' };
    rows.push({ step, state, stage: null, at: null, metrics: {} });
  }
  return rows;
}

const EVAL_PREFIX = 'eval/';

/**
 * A row per evaluated checkpoint, in step order: those with a metrics record (`eval/` taken off the
 * keys and the failures' prefixes) and those that left artifacts but no record (incomplete).
 */
export function buildEvalRows(options: {
  records: readonly MetricsRecord[];
  started: ReadonlySet<number>;
}): EvalRow[] {
  const rows = new Map<number, EvalRow>();
  for (const r of options.records) {
    if (r.purpose !== 'eval') continue;
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.metrics)) {
      metrics[k.startsWith(EVAL_PREFIX) ? k.slice(EVAL_PREFIX.length) : k] = v;
    }
    const failures = (r.failures ?? []).map((f) => ({
      ...f,
      what: f.what.startsWith(EVAL_PREFIX) ? f.what.slice(EVAL_PREFIX.length) : f.what,
    }));
    rows.set(r.step, { step: r.step, state: 'done', at: r.at, metrics, failures });
  }
  for (const step of options.started) {
    if (!rows.has(step)) rows.set(step, { step, state: 'incomplete', at: null, metrics: {}, failures: [] });
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}

/** Step numbers of the refs under `<prefix>step-<n>/...` (the folder of a run's steps or evaluations). */
export function stepsFromRefs(options: { names: readonly string[]; prefix: string }): Set<number> {
  const steps = new Set<number>();
  for (const name of options.names) {
    if (!name.startsWith(options.prefix)) continue;
    const m = /^step-(\d+)\//.exec(name.slice(options.prefix.length));
    if (m !== null) steps.add(Number(m[1]));
  }
  return steps;
}
