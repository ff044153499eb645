import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { PURPOSES } from '../contracts/step-refs.ts';
import { METRIC_NAMES as N } from './metric-names.ts';
import { JUDGE_ERROR_KINDS, PHASES, type TrainingTelemetry } from './training-telemetry.ts';

/** Buckets of phase and step durations: a tiny model's second to a large model's hour. */
const PHASE_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Buckets of one judge call: a cache hit's milliseconds to a slow model's minute. */
const JUDGE_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Updates train; their gauges carry the label like the others. */
const TRAIN = { purpose: 'train' } as const;

/** A registry with Anchorage's metrics and the process's, and the telemetry that records into it. */
export interface PrometheusTelemetry {
  registry: Registry;
  telemetry: TrainingTelemetry;
}

/**
 * Anchorage's metrics (names: metric-names.ts) in a fresh registry, with Node's process metrics
 * (`process_*`, `nodejs_*`). Counters and histograms start at zero for every known label value, so
 * every series exists from the first scrape; gauges appear once they have a value (a mean reward of
 * 0 before any step would be a lie).
 */
export function createPrometheusTelemetry(options: { processMetrics?: boolean } = {}): PrometheusTelemetry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const byPurpose = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['purpose'] as const, registers });
  const counter = (name: string, help: string) => new Counter({ name, help, registers });
  // Gauges carry the purpose label too: an unlabelled gauge reads 0 before it has a value.
  const gaugeByPurpose = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['purpose'] as const, registers });
  const tokens = byPurpose(N.rolloutTokens, 'New tokens the policy generated for rollouts.');
  const prefillTokens = byPurpose(N.rolloutPrefillTokens, 'Prompt tokens computed by rollout prefills.');
  const prefillSeconds = byPurpose(N.rolloutPrefillSeconds, 'Seconds spent in rollout prefills.');
  const decodeSeconds = byPurpose(N.rolloutDecodeSeconds, 'Seconds spent in rollout decode steps.');
  const judgeCall = new Histogram({
    name: N.judgeCallSeconds,
    help: 'One LLM judge call: a response against a rubric’s judged criteria, verdict cache included.',
    buckets: JUDGE_BUCKETS,
    registers,
  });
  const judgeRequests = counter(
    N.judgeRequests,
    'HTTP requests sent to the LLM judge, retries and repairs included.',
  );
  const judgeErrors = new Counter({
    name: N.judgeErrors,
    help: 'LLM judge trouble by kind: failed_call, transport_retry, malformed_reply, unscorable.',
    labelNames: ['kind'] as const,
    registers,
  });
  const cacheHits = counter(N.verdictCacheHits, 'Judged criteria answered by the verdict cache.');
  const cacheMisses = counter(N.verdictCacheMisses, 'Judged criteria the judge model had to grade.');
  const phase = new Histogram({
    name: N.phaseSeconds,
    help: 'A step phase’s work in this process until its result was committed (judge: one shard).',
    labelNames: ['phase', 'purpose'] as const,
    buckets: PHASE_BUCKETS,
    registers,
  });
  const step = new Histogram({
    name: N.stepSeconds,
    help: 'A step’s wall time as the workflow measured it.',
    labelNames: ['purpose'] as const,
    buckets: PHASE_BUCKETS,
    registers,
  });
  const lastStep = gaugeByPurpose(N.lastStep, 'The last step whose metrics were committed.');
  const rewardMean = gaugeByPurpose(
    N.rewardMean,
    'Mean reward of the last step whose rewards were committed.',
  );
  const klRef = gaugeByPurpose(
    N.klRef,
    'KL to the reference policy of the last committed update that measured it.',
  );
  const loss = gaugeByPurpose(N.policyLoss, 'Loss of the last committed update that trained.');
  const checkpoints = counter(N.checkpointCommits, 'Checkpoints committed (one per policy update).');

  for (const purpose of PURPOSES) {
    for (const c of [tokens, prefillTokens, prefillSeconds, decodeSeconds]) c.inc({ purpose }, 0);
    for (const p of PHASES) phase.zero({ phase: p, purpose });
    step.zero({ purpose });
  }
  for (const kind of JUDGE_ERROR_KINDS) judgeErrors.inc({ kind }, 0);

  const telemetry: TrainingTelemetry = {
    generation(s) {
      const purpose = { purpose: s.purpose };
      tokens.inc(purpose, s.newTokens);
      prefillTokens.inc(purpose, s.prefillTokens);
      prefillSeconds.inc(purpose, s.prefillMs / 1000);
      decodeSeconds.inc(purpose, s.decodeMs / 1000);
    },
    phase(o) {
      phase.observe({ phase: o.phase, purpose: o.purpose }, o.ms / 1000);
    },
    judgeCall(o) {
      judgeCall.observe(o.ms / 1000);
      if (o.failed) judgeErrors.inc({ kind: 'failed_call' });
    },
    judgeCounts(c) {
      judgeRequests.inc(c.requests);
      cacheHits.inc(c.cacheHits);
      cacheMisses.inc(c.cacheMisses);
      judgeErrors.inc({ kind: 'transport_retry' }, c.retries);
      judgeErrors.inc({ kind: 'malformed_reply' }, c.repairs);
      judgeErrors.inc({ kind: 'unscorable' }, c.unscorable);
    },
    rewards(o) {
      if (o.mean !== null && Number.isFinite(o.mean)) rewardMean.set({ purpose: o.purpose }, o.mean);
    },
    checkpoint(o) {
      checkpoints.inc();
      if (o.kl !== undefined && Number.isFinite(o.kl)) klRef.set(TRAIN, o.kl);
      if (o.applied && o.loss !== undefined && Number.isFinite(o.loss)) loss.set(TRAIN, o.loss);
    },
    step(o) {
      lastStep.set({ purpose: o.purpose }, o.step);
      if (o.wallMs !== undefined) step.observe({ purpose: o.purpose }, o.wallMs / 1000);
    },
  };
  return { registry, telemetry };
}
