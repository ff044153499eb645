import type { Logger } from 'pino';
import type { MonitorStepOutput } from '../contracts/defence.ts';
import { addUsage, type JudgeAllowance, NO_USAGE } from '../contracts/judge-budget.ts';
import type { StepKey } from '../contracts/step-refs.ts';
import { analyseStep, type EarlierStep, type MonitorCriterion } from '../defence/analyse.ts';
import { describeFinding } from '../defence/findings.ts';
import { criteriaJudgeDisagreesOn, type RubricCriterion } from '../defence/judge-samples.ts';
import { MonitorRecord, StepDefence } from '../defence/records.ts';
import { defenceRefs } from '../defence/refs.ts';
import { listProposals } from '../defence/review.ts';
import type { MonitoredResponse } from '../defence/signals.ts';
import { aggregateRewards } from '../rubric/aggregate/index.ts';
import { evaluateResponse } from '../rubric/evaluate.ts';
import { type JudgeLimits, judgeUsage } from '../rubric/judge/limits.ts';
import type { ResolvedRubric } from '../rubric/resolve.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import { Address } from '../store/address.ts';
import { commitOnce } from '../store/commit-once.ts';
import type { ArtifactStore } from '../store/store.ts';
import { MetricsRecord } from '../train/metrics.ts';
import { RewardsRecord } from '../train/rewards.ts';
import { readRolloutBatch } from '../train/rollouts.ts';
import { runRefs } from '../train/run-refs.ts';
import { ValidationError } from '../util/errors.ts';
import { propose, proposalWriter } from './defence-proposal.ts';
import { stepRubrics } from './plan.ts';
import type { RunContext } from './run-context.ts';
import { shardJudgeLimits } from './verdicts.ts';

/**
 * The adaptive-defence monitor of training step n (`defence.adaptive.enabled`): scores the step's
 * rollouts with the zero-weight monitor rubrics, reads the trends over the window from the earlier
 * steps' monitor records (src/defence/analyse.ts), proposes a defence criterion for each new finding
 * (the run's LLM judge writes it where one is configured and `proposer` is `auto`, a rule template
 * otherwise) into the review queue, and commits its record once: a retry returns it.
 */
export async function monitorStep(options: {
  store: ArtifactStore;
  key: StepKey;
  run: () => Promise<RunContext>;
  rollouts: string;
  rewards: string;
  /** What its judge requests may spend (the step's share of the run's judge budget); absent: no limit. */
  allowance?: JudgeAllowance;
  verifiers: VerifierRegistry;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}): Promise<MonitorStepOutput> {
  const { store, key } = options;
  if (key.purpose !== 'train' || (key.round ?? 0) !== 0) {
    throw new ValidationError(
      `the monitor reads a training step's planned batch, not ${JSON.stringify(key)}`,
    );
  }
  const ref = defenceRefs.monitor(key.trainRunId, key.step);
  const pending = async () =>
    (await listProposals({ store, trainRunId: key.trainRunId })).filter((q) => q.status === 'pending').length;
  const existing = await store.getRef(ref);
  if (existing !== undefined) {
    const record = MonitorRecord.parse(await store.getJson(existing));
    return { ...resultOf(existing, record), pending: await pending(), reused: true };
  }
  const run = await options.run();
  const settings = run.config.defence.adaptive;
  const { groups } = await readRolloutBatch({ store, address: options.rollouts });
  const rewards = RewardsRecord.parse(await store.getJson(options.rewards));
  const rewardOf = new Map(rewards.samples.map((s) => [`${s.group}/${s.sample}`, s]));

  const monitorRubrics = settings.monitorRubrics.map((id) => {
    const rubric = run.prepared.rubrics.get(id);
    if (rubric === undefined)
      throw new ValidationError(`monitor rubric '${id}' was not resolved with the run`);
    return rubric;
  });
  // The monitor's judge requests (judged monitor criteria, then LLM-written proposals) share the
  // allowance, so the run's judge budget counts them like the step's own.
  const scored = await scoreMonitorRubrics({
    run,
    rubrics: monitorRubrics,
    groups,
    verifiers: options.verifiers,
    limits: shardJudgeLimits({
      allowance: options.allowance,
      usedBefore: NO_USAGE,
      requestsPerSecond: undefined,
      shards: 1,
    }),
  });
  // The step's rubrics (the run's and its defence set) give a disagreed criterion its description.
  const rubrics = await stepRubrics({ run, ref: key, store });
  const criterionDescription = (c: RubricCriterion) =>
    rubrics.get(c.rubricId)?.criteria.find((k) => k.id === c.criterionId)?.description ?? c.criterionId;
  const responses: MonitoredResponse[] = groups.flatMap((g, gi) =>
    g.samples.map((s, si) => {
      const reward = rewardOf.get(`${gi}/${si}`);
      // Judge samples (judge `samples` > 1) kept in the reward explanations; absent: nothing to compare.
      const disagreed = criteriaJudgeDisagreesOn(reward?.rubrics ?? []);
      return {
        text: s.text,
        reward: reward?.reward ?? null,
        group: gi,
        failed: scored.failed[gi]![si]!,
        ...(disagreed === undefined
          ? {}
          : { judgeDisagreesOn: disagreed.map((c) => ({ ...c, description: criterionDescription(c) })) }),
      };
    }),
  );
  const earlier = await earlierSteps({ store, key, window: settings.window });
  const gap = await heldOutGap({ store, run, key });
  const reading = analyseStep({
    ...(gap === undefined ? {} : { measured: { heldout_gap: gap } }),
    responses,
    monitorMeans: scored.means,
    monitorCriteria: monitorRubrics.flatMap((r) =>
      r.criteria.map(
        (c): MonitorCriterion => ({
          rubricId: r.id,
          criterionId: c.id,
          description: c.description,
          verifier:
            c.evaluator.type === 'verifier'
              ? { name: c.evaluator.name, params: c.evaluator.params }
              : undefined,
        }),
      ),
    ),
    earlier,
    settings,
  });

  const writing = proposalWriter({
    run,
    // What the allowance has left after the monitor rubrics' requests (at least 0).
    limits: shardJudgeLimits({
      allowance: options.allowance,
      usedBefore: scored.usage,
      requestsPerSecond: undefined,
      shards: 1,
    }),
    env: options.env,
    log: options.log,
  });
  const proposed: string[] = [];
  for (const finding of reading.findings) {
    const id = await propose({
      store,
      key,
      finding,
      responses,
      writer: writing.writer,
      log: options.log,
      verifiers: options.verifiers,
    });
    if (id !== undefined) proposed.push(id);
  }
  const judgeUsage = addUsage(scored.usage, writing.usage());
  const applied = await store.getRef(defenceRefs.step(key.trainRunId, key.step));
  const appliedCount =
    applied === undefined ? 0 : StepDefence.parse(await store.getJson(applied)).applied.length;
  const record: MonitorRecord = {
    format: 'anchorage.monitor/1',
    trainRunId: key.trainRunId,
    step: key.step,
    rollouts: Address.parse(options.rollouts),
    rewards: Address.parse(options.rewards),
    signals: reading.signals,
    trends: reading.trends,
    onsets: reading.onsets,
    findings: reading.findings,
    proposed,
    metrics: { ...reading.metrics, 'defence/proposed': proposed.length, 'defence/applied': appliedCount },
    judgeUsage,
  };
  const { address } = await store.putJson(record);
  const committed = await commitOnce({ store, ref, address });
  const kept = committed.created ? record : MonitorRecord.parse(await store.getJson(committed.address));
  if (committed.created && (kept.onsets.length > 0 || kept.proposed.length > 0)) {
    options.log.warn(
      { ...key, onsets: kept.onsets, proposed: kept.proposed, findings: kept.findings.map(describeFinding) },
      'reward hacking suspected',
    );
  }
  return { ...resultOf(committed.address, kept), pending: await pending(), reused: !committed.created };
}

function resultOf(address: string, record: MonitorRecord) {
  return {
    monitor: address,
    metrics: record.metrics,
    onsets: record.onsets,
    proposed: record.proposed,
    judgeUsage: record.judgeUsage ?? NO_USAGE,
  };
}

/**
 * Every response's verdicts on the monitor rubrics: the criteria it fails (normalised score below
 * 0.5) and the step's mean score per rubric and criterion. Their weight is 0: nothing here enters
 * the reward.
 */
async function scoreMonitorRubrics(options: {
  run: RunContext;
  rubrics: readonly ResolvedRubric[];
  groups: Awaited<ReturnType<typeof readRolloutBatch>>['groups'];
  verifiers: VerifierRegistry;
  /** The monitor's share of the run's judge budget: a judged criterion past it is unscorable. */
  limits: JudgeLimits;
}) {
  const { run, rubrics, groups, verifiers } = options;
  const judge = rubrics.some((r) => r.criteria.some((c) => c.evaluator.type === 'judge'))
    ? run.createJudge(options.limits)
    : undefined;
  const failed: string[][][] = groups.map((g) => g.samples.map(() => []));
  const sums = { rubrics: new Map<string, number[]>(), criteria: new Map<string, number[]>() };
  const add = (map: Map<string, number[]>, id: string, v: number) => map.set(id, [...(map.get(id) ?? []), v]);
  for (const rubric of rubrics) {
    for (const [gi, group] of groups.entries()) {
      const verdicts = await Promise.all(
        group.samples.map((s) =>
          evaluateResponse({ rubric, prompt: group.promptText, response: s.text, verifiers, judge }),
        ),
      );
      aggregateRewards({ rubric, verdictsPerResponse: verdicts }).forEach((reward, si) => {
        if (reward.status === 'scored') add(sums.rubrics, rubric.id, reward.value);
        for (const c of reward.explanation.criteria) {
          if (c.normalised === null) continue;
          add(sums.criteria, c.id, c.normalised);
          if (c.normalised < 0.5) failed[gi]![si]!.push(c.id);
        }
      });
    }
  }
  const means = (map: Map<string, number[]>) =>
    Object.fromEntries([...map].map(([id, vs]) => [id, vs.reduce((a, b) => a + b, 0) / vs.length]));
  return {
    failed,
    means: { rubrics: means(sums.rubrics), criteria: means(sums.criteria) },
    usage: judgeUsage(judge?.stats()),
  };
}

/**
 * How far the training reward ran ahead of the held-out reward at the run's latest evaluation before
 * step n (`evaluation.every` > 0): the training batch's mean reward at step m less the mean reward
 * of the evaluation after step m, m = floor((n-1) / every) * every >= 1 (the run finishes both before
 * step n starts). It changes at each evaluation; a gap that grows from one to the next is a sign of
 * reward hacking. Undefined before the first evaluation after a step, or without evaluations.
 */
async function heldOutGap(options: { store: ArtifactStore; run: RunContext; key: StepKey }) {
  const { store, run, key } = options;
  const every = run.config.evaluation.every;
  if (every <= 0) return undefined;
  const step = Math.floor((key.step - 1) / every) * every;
  if (step < 1) return undefined;
  const reward = async (purpose: 'train' | 'eval', name: string) => {
    const address = await store.getRef(runRefs.metrics({ trainRunId: key.trainRunId, step, purpose }));
    if (address === undefined) return undefined;
    const value = MetricsRecord.parse(await store.getJson(address)).metrics[name];
    return value === undefined || !Number.isFinite(value) ? undefined : value;
  };
  const trained = await reward('train', 'reward/mean');
  const heldOut = await reward('eval', 'eval/reward/mean');
  return trained === undefined || heldOut === undefined ? undefined : trained - heldOut;
}

/** The earlier steps of the window that have a monitor record, oldest first, with their texts. */
async function earlierSteps(options: {
  store: ArtifactStore;
  key: StepKey;
  window: number;
}): Promise<EarlierStep[]> {
  const { store, key, window } = options;
  const out: EarlierStep[] = [];
  for (let step = Math.max(1, key.step - window + 1); step < key.step; step++) {
    const address = await store.getRef(defenceRefs.monitor(key.trainRunId, step));
    if (address === undefined) continue;
    const record = MonitorRecord.parse(await store.getJson(address));
    const { groups } = await readRolloutBatch({ store, address: record.rollouts });
    out.push({
      step,
      signals: record.signals,
      trends: record.trends,
      texts: groups.flatMap((g) => g.samples.map((s) => s.text)),
    });
  }
  return out;
}
