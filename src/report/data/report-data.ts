import { z } from 'zod';

/**
 * What a report shows, gathered from the artifact store (and, when the Temporal server answers, the
 * run's live state). Plain data: the HTML is rendered from it by src/report/html/.
 */

/**
 * The run's state as the training workflow reports it (its progress query), validated where it
 * enters: only the fields the report reads.
 */
export const LiveRunState = z.object({
  /** running, paused, failed, completed, stopped; or the execution's status when it ended otherwise. */
  status: z.string(),
  totalSteps: z.number().int().nonnegative().nullable(),
  completedSteps: z.number().int().nonnegative().nullable(),
  currentStep: z.number().int().nullable(),
  failure: z.object({ step: z.number().int(), type: z.string(), message: z.string() }).nullable(),
});
export type LiveRunState = z.infer<typeof LiveRunState>;

/**
 * A training step's state. `incomplete`: it left artifacts (rollouts, verdicts) but no metrics
 * record: it failed, was stopped, or was still running when the report was made and no live state
 * said which.
 */
export type StepState =
  | { kind: 'done' }
  | { kind: 'failed'; type: string; message: string }
  | { kind: 'running' }
  | { kind: 'incomplete' }
  | { kind: 'not-run' };

export interface StepRow {
  step: number;
  state: StepState;
  stage: string | null;
  /** When the step finished (its record's time); null without a record. */
  at: string | null;
  /** The record's metrics as written (`reward/mean`, `kl/ref`, ...); empty without a record. */
  metrics: Readonly<Record<string, number>>;
}

/** An evaluation of the checkpoint after `step` (0: the base policy). */
export interface EvalRow {
  step: number;
  state: 'done' | 'incomplete';
  at: string | null;
  /** The record's metrics with the `eval/` prefix taken off: `reward/mean`, `<suite>/<name>`. */
  metrics: Readonly<Record<string, number>>;
  /** What this evaluation could not measure (a suite that failed), `eval/` taken off `what`. */
  failures: readonly MeasurementFailure[];
}

/** A part of an evaluation that failed: its metrics (`<what>/...`) are absent, never 0. */
export interface MeasurementFailure {
  what: string;
  type: string;
  message: string;
}

/** One criterion's verdict on an answer, as the reward's explanation records it. */
export interface CriterionView {
  rubricId: string;
  criterionId: string;
  kind: 'score' | 'veto';
  status: 'scored' | 'unscorable';
  tierLabel: string | null;
  tierScore: number | null;
  topScore: number;
  vetoFired: boolean;
  reason: string;
  evaluator: string;
}

export type AnswerReward =
  | { status: 'scored'; value: number; vetoedBy: readonly string[] }
  | { status: 'unscorable'; reason: string }
  /** The evaluation left no rewards record (it did not finish). */
  | { status: 'not-scored' };

/** The first sampled answer to a held-out prompt at one evaluated checkpoint. */
export interface AnswerView {
  step: number;
  text: string;
  finishReason: string;
  tokens: number;
  /** Answers sampled for the prompt at that evaluation (the first is shown). */
  samples: number;
  reward: AnswerReward;
  criteria: readonly CriterionView[];
}

/** A held-out prompt and its answers at the first and last evaluated checkpoints. */
export interface HeldOutPrompt {
  promptId: string;
  promptText: string;
  answers: readonly AnswerView[];
}

/** Where the run's Temporal server is, as its configuration names it (null: the environment's). */
export interface TemporalWhere {
  address: string | null;
  namespace: string | null;
}

export interface RunHeader {
  trainRunId: string;
  generatedAt: string;
  configFile: string;
  configText: string;
  configAddress: string;
  /** Why the stored configuration could not be parsed (it is still shown as text); null when it was. */
  configError: string | null;
  modelName: string | null;
  /** Planned training steps, from the configuration or the live state. */
  totalSteps: number | null;
  temporal: TemporalWhere;
  webUiUrl: string | null;
  live: LiveRunState | null;
}

export interface ReportData {
  header: RunHeader;
  steps: readonly StepRow[];
  evals: readonly EvalRow[];
  heldOut: readonly HeldOutPrompt[];
  /** Why no held-out answers are shown, or a remark on them; null when there is nothing to say. */
  heldOutNote: string | null;
}
