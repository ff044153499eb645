import type { Purpose } from '../contracts/step-refs.ts';

/** The phases of a step whose durations are recorded (`anchorage_phase_duration_seconds{phase}`). */
export const PHASES = ['rollout', 'judge', 'rewards', 'update'] as const;
export type Phase = (typeof PHASES)[number];

/** Ways a judge call goes wrong (`anchorage_judge_errors_total{kind}`). */
export const JUDGE_ERROR_KINDS = ['failed_call', 'transport_retry', 'malformed_reply', 'unscorable'] as const;
export type JudgeErrorKind = (typeof JUDGE_ERROR_KINDS)[number];

/** Increments of an LLM judge's counters since its last report. */
export interface JudgeCounts {
  requests: number;
  cacheHits: number;
  cacheMisses: number;
  /** Transport retries, repair attempts after a malformed reply, unscorable verdicts returned. */
  retries: number;
  repairs: number;
  unscorable: number;
}

/**
 * What the step's phases report about the work they did in this process, for the worker's metrics
 * endpoint (src/telemetry/prometheus-telemetry.ts). The narrow interface the step code sees: it
 * reports facts it has already computed (timings, counts, the committed summaries), never reads
 * anything back. A phase whose result was committed by an earlier attempt reports nothing, so
 * retried work is not counted twice. `NO_TELEMETRY` is the default everywhere.
 */
export interface TrainingTelemetry {
  /** One engine generation of a rollout phase: new tokens drawn, prompt tokens computed, and where the time went. */
  generation(stats: {
    purpose: Purpose;
    newTokens: number;
    prefillTokens: number;
    prefillMs: number;
    decodeMs: number;
  }): void;
  /** A phase committed its result: how long this process worked on it (a judge phase: one shard). */
  phase(options: { phase: Phase; purpose: Purpose; ms: number }): void;
  /** One call to the LLM judge (a response against one rubric's judged criteria, cache included). */
  judgeCall(options: { ms: number; failed: boolean }): void;
  /** The LLM judge's counters moved by these increments. */
  judgeCounts(counts: JudgeCounts): void;
  /** A step's rewards were committed; `mean` is null when no response was scored. */
  rewards(options: { purpose: Purpose; mean: number | null }): void;
  /** A policy update committed checkpoint `step`; KL and loss when the update measured them. */
  checkpoint(options: {
    step: number;
    applied: boolean;
    kl: number | undefined;
    loss: number | undefined;
  }): void;
  /** A step's metrics record was committed (the step is done), with its wall time as the workflow measured it. */
  step(options: { purpose: Purpose; step: number; wallMs: number | undefined }): void;
}

/** Records nothing: the default where no metrics endpoint is served. */
export const NO_TELEMETRY: TrainingTelemetry = {
  generation: () => undefined,
  phase: () => undefined,
  judgeCall: () => undefined,
  judgeCounts: () => undefined,
  rewards: () => undefined,
  checkpoint: () => undefined,
  step: () => undefined,
};
