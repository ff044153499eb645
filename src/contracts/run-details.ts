import { describeSpend } from './judge-budget.ts';
import type { RunProgress } from './workflow-types.ts';

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
  if (Object.keys(p.overrides).length > 0) lines.push(`overrides: ${JSON.stringify(p.overrides)}`);
  return lines.join('\n\n');
}
