import { describeDefence } from './defence.ts';
import { describeSpend } from './judge-budget.ts';
import { describeThreshold } from './stage-advance.ts';
import type { RunProgress, StageView } from './workflow-types.ts';

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined ? 'n/a' : v.toFixed(digits);

/**
 * The Web UI's "current details" of a run, in Markdown: set by the training workflow, printed by
 * `anchorage status`. Workflow-safe.
 */
export function runDetails(p: RunProgress): string {
  const judge = p.judge;
  const spend =
    judge === undefined || judge.budget === null
      ? undefined
      : describeSpend({ budget: judge.budget, used: judge.used });
  const status =
    judge?.waiting === true ? `paused: judge budget spent (${spend ?? 'no budget left'})` : p.status;
  const lines = [
    `**${p.trainRunId}**: ${status}${p.pauseRequested && p.status === 'running' ? ' (pausing after this step)' : ''}${p.stopRequested && p.status === 'running' ? ' (stopping after this step)' : ''}`,
    `step ${p.completedSteps}/${p.totalSteps}${p.currentStep === null ? '' : `, running step ${p.currentStep}`}${p.currentTask === null ? '' : `, running the ${p.currentTask}`}${p.stage === null ? '' : ` (stage ${p.stage})`} on ${p.modelName}`,
    `mean reward ${fmt(p.last?.meanReward)} · KL ${fmt(p.last?.kl, 4)} · loss ${fmt(p.last?.loss, 4)}${p.lastEval === null ? '' : ` · eval reward ${fmt(p.lastEval.meanReward)} (after step ${p.lastEval.step})`}`,
    `last checkpoint: ${p.lastCheckpoint === null ? 'none yet' : `step ${p.lastCheckpoint.step} (${p.lastCheckpoint.address})`}`,
  ];
  if (p.failure !== null) {
    lines.push(
      `step ${p.failure.step} failed (${p.failure.type}): ${p.failure.message}`,
      'signal `resume` (optionally with overrides) to run it again, or `stop`',
    );
  }
  if (judge?.waiting === true) {
    lines.push(
      `raise it to go on: \`anchorage budget ${p.trainRunId} --add-requests N\` (or --add-tokens N), or signal \`stop\``,
    );
  } else if (spend !== undefined) lines.push(`judge budget: ${spend}`);
  if (p.stages !== undefined) lines.push(describeStages(p.stages));
  if (Object.keys(p.overrides).length > 0) lines.push(`overrides: ${JSON.stringify(p.overrides)}`);
  const defence = describeDefence({ view: p.defence, trainRunId: p.trainRunId });
  if (defence !== undefined) lines.push(defence);
  return lines.join('\n\n');
}

/** The stages of a run with thresholds as they ran or will run: `stages: a steps 1-3 (...) · b steps 4-9`. */
export function describeStages(stages: readonly StageView[]): string {
  return `stages: ${stages.map(stageLine).join(' · ')}`;
}

/** `a steps 1-3 (ended after step 3: reward/mean 0.62 >= 0.6)`, `b steps 4-9 (ends at reward/mean >= 0.8)`. */
function stageLine(s: StageView): string {
  const span = `${s.name} steps ${s.firstStep}-${s.firstStep + s.steps - 1}`;
  if (s.advanced !== undefined && s.advanceWhen !== undefined) {
    return `${span} (ended after step ${s.advanced.step}: ${describeThreshold(s.advanceWhen, s.advanced.value)})`;
  }
  return s.advanceWhen === undefined ? span : `${span} (ends at ${describeThreshold(s.advanceWhen)})`;
}
