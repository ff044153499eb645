import type { JudgeAllowance, JudgeUsage } from './judge-budget.ts';
import type { StepRef } from './step-refs.ts';

/**
 * Adaptive defence as the workflows see it (`defence.adaptive`, src/defence/): the monitor activity's
 * input and result, what a step reports up, and what the run shows in its Web UI details.
 * Workflow-safe: no imports at run time.
 */

/** The monitor of a training step: its planned batch's rollouts and rewards. */
export interface MonitorStepInput extends StepRef {
  rollouts: string;
  rewards: string;
  /**
   * What the monitor's judge requests may spend (what the step's allowance has left after its
   * judging): judged monitor criteria and LLM-written proposals. Absent: the run has no budget.
   */
  allowance?: JudgeAllowance;
}

export interface MonitorStepOutput {
  /** The step's monitor record. */
  monitor: string;
  /** `monitor/*` and `defence/*` metrics of the step. */
  metrics: Record<string, number>;
  /** Trends (length, repetition, outliers, disagreement, heldout, phrase) whose rise began at this step. */
  onsets: string[];
  /** Proposals this step added to the review queue, and those waiting for review now. */
  proposed: string[];
  pending: number;
  reused: boolean;
  /** What its judge requests spent (the run's judge budget counts it); a reused record's first spend. */
  judgeUsage: JudgeUsage;
}

/** What a step with the monitor reports to the run. */
export interface StepDefenceReport {
  onsets: string[];
  proposed: number;
  pending: number;
}

/** The run's view of its defence: the onsets seen (the latest few), proposals made and pending. */
export interface DefenceView {
  onsets: Array<{ trend: string; step: number }>;
  proposed: number;
  pending: number;
}

const KEEP_ONSETS = 6;

/** The view after step `step` reported. */
export function addStepDefence(options: {
  view: DefenceView | undefined;
  step: number;
  report: StepDefenceReport;
}): DefenceView {
  const { view, step, report } = options;
  return {
    onsets: [...(view?.onsets ?? []), ...report.onsets.map((trend) => ({ trend, step }))].slice(-KEEP_ONSETS),
    proposed: (view?.proposed ?? 0) + report.proposed,
    pending: report.pending,
  };
}

/** The Web UI details' line on defence, or undefined when nothing was flagged yet. */
export function describeDefence(options: {
  view: DefenceView | undefined;
  trainRunId: string;
}): string | undefined {
  const { view, trainRunId } = options;
  if (view === undefined || (view.onsets.length === 0 && view.proposed === 0)) return undefined;
  const onsets =
    view.onsets.length === 0
      ? 'no trend onset'
      : `onset of ${view.onsets.map((o) => `${o.trend} at step ${o.step}`).join(', ')}`;
  const review =
    view.pending === 0 ? '' : `; review: \`anchorage defence list ${trainRunId}\`, then accept or reject`;
  return `reward hacking suspected: ${onsets}; ${view.proposed} defence proposals, ${view.pending} pending${review}`;
}
