import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { AdaptiveDefenceSettings } from '../config/defence.ts';
import { MonitorRecord } from '../defence/records.ts';
import { listProposals } from '../defence/review.ts';
import { aggregateReward } from '../rubric/aggregate/aggregate-reward.ts';
import { makeCriterion, makeRubric, scored } from '../rubric/aggregate/fixtures.ts';
import { combineSamples } from '../rubric/judge/combine-samples.ts';
import { JudgeConfig } from '../rubric/judge/config.ts';
import { type JudgeLimits, limitJudgeConfig } from '../rubric/judge/limits.ts';
import { createJudge } from '../rubric/judge/llm-judge.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import { LocalFolderStore } from '../store/local-store.ts';
import type { RewardsRecord } from '../train/rewards.ts';
import { putFixedRollouts } from '../train/testing/fixed-rollouts.ts';
import { startTinyJudge } from '../train/testing/tiny-judge.ts';
import { monitorStep } from './monitor.ts';
import type { RunContext } from './run-context.ts';

/**
 * The monitor of one step on a real store, reading the judge's samples from the step's rewards
 * record: two groups of four answers, the first two of each rewarded 1 and the rest 0. No monitor
 * rubric; a run of one step proposes nothing, a run whose disagreement rises over three steps
 * proposes a defence for the criterion disagreed on.
 */

const ANSWERS = ['a fine answer', 'another fine answer', 'a weak answer', 'another weak answer'];
const rubric = makeRubric({ criteria: [makeCriterion({ id: 'accuracy' })] });

/** The rubric's reward for one answer judged twice: pass and pass, or pass and fail (`disagree`). */
const rewardOf = (options: { pass: boolean; disagree?: boolean; samples?: boolean }) => {
  const score = options.pass ? 1 : 0;
  const first = scored('accuracy', score);
  const second = scored('accuracy', options.disagree === true ? 1 - score : score);
  return aggregateReward({
    rubric,
    verdicts: [combineSamples({ samples: options.samples === false ? [first] : [first, second] })],
  });
};

/**
 * A run context with only what the monitor reads: adaptive defence without monitor rubrics, no
 * evaluations (no held-out gap), no judge.
 */
const run = {
  config: {
    defence: { adaptive: AdaptiveDefenceSettings.parse({ enabled: true, monitorRubrics: [] }) },
    evaluation: { every: 0 },
  },
  prepared: { rubrics: new Map() },
  createJudge: () => undefined,
} as unknown as RunContext;

describe('the monitor of a step reads the judge samples kept in its rewards (real store)', () => {
  let dir: string;
  let store: LocalFolderStore;
  let rollouts: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-monitor-'));
    store = new LocalFolderStore({ root: join(dir, 'store') });
    rollouts = await putFixedRollouts({ store, promptIds: ['p0', 'p1'], answers: ANSWERS });
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** The step's rewards: `disagrees(group, sample)` picks the answers whose samples disagree. */
  const putRewards = async (options: {
    disagrees: (group: number, sample: number) => boolean;
    samples?: boolean;
  }) => {
    const samples = [0, 1].flatMap((group) =>
      ANSWERS.map((_, sample) => {
        const pass = sample < 2;
        const reward = rewardOf({
          pass,
          disagree: options.disagrees(group, sample),
          ...(options.samples === undefined ? {} : { samples: options.samples }),
        });
        assert.equal(reward.status, 'scored');
        return {
          group,
          sample,
          reward: pass ? 1 : 0,
          advantage: pass ? 1 : -1,
          vetoedBy: [],
          rubrics: [{ rubricId: rubric.id, weight: 1, reward }],
        };
      }),
    );
    const record: RewardsRecord = {
      format: 'anchorage.rewards/1',
      rollouts,
      judgements: [],
      estimator: 'grpo',
      samples,
      groups: [0, 1].map((groupId) => ({
        groupId,
        size: 4,
        scored: 4,
        mean: 0.5,
        std: 0.5,
        zeroVariance: false,
        dropped: false,
      })),
      summary: {
        responses: 8,
        scored: 8,
        mean: 0.5,
        std: 0.5,
        min: 0,
        max: 1,
        vetoed: 0,
        groups: 2,
        groupsDropped: 0,
        trainable: 8,
        rubricMeans: {},
        criterionMeans: {},
        ms: 0,
      },
    };
    return (await store.putJson(record)).address;
  };

  const monitor = async (trainRunId: string, rewards: string) => {
    const out = await monitorStep({
      store,
      key: { trainRunId, step: 1, purpose: 'train' },
      run: async () => run,
      rollouts,
      rewards,
      verifiers: defaultVerifiers(),
      log: pino({ level: 'silent' }),
    });
    return { out, record: MonitorRecord.parse(await store.getJson(out.monitor)) };
  };

  it('the share of high-reward answers whose judge samples disagree is a signal and a metric', async () => {
    // Three high-reward answers disagree (both of group 0, the first of group 1), and one low-reward one.
    const rewards = await putRewards({
      disagrees: (group, sample) => (group === 0 ? sample !== 2 : sample === 0 || sample === 3),
    });
    const { out, record } = await monitor('sampled', rewards);
    assert.equal(record.signals.judge_disagreement_fraction, 3 / 8);
    assert.equal(out.metrics['monitor/judge_disagreement_fraction'], 3 / 8);
    assert.equal(out.metrics['monitor/trend/disagreement'], 0, 'one step is no trend');
    assert.deepEqual(out.onsets, []);
  });

  it('a rising share proposes a defence for the criterion the judge disagrees on, described as its rubric says', async () => {
    const withRubric = { ...run, prepared: { rubrics: new Map([[rubric.id, rubric]]) } } as RunContext;
    // Steps 1-3 of one run: 1, 2, then all 4 high-reward answers disagree (the window is 3 steps).
    const unsure = [1, 2, 4];
    let last: Awaited<ReturnType<typeof monitorStep>> | undefined;
    for (const [i, n] of unsure.entries()) {
      const rewards = await putRewards({
        disagrees: (group, sample) => sample < 2 && 2 * group + sample < n,
      });
      last = await monitorStep({
        store,
        key: { trainRunId: 'rising', step: i + 1, purpose: 'train' },
        run: async () => withRubric,
        rollouts,
        rewards,
        verifiers: defaultVerifiers(),
        log: pino({ level: 'silent' }),
      });
    }
    assert.deepEqual(last?.onsets, ['disagreement']);
    const record = MonitorRecord.parse(await store.getJson(last!.monitor));
    assert.deepEqual(record.findings, [
      {
        kind: 'disagreement',
        rubricId: rubric.id,
        criterionId: 'accuracy',
        description: 'criterion accuracy',
        count: 4,
      },
    ]);
    assert.equal(record.proposed.length, 1);
    const [proposal] = await listProposals({ store, trainRunId: 'rising' });
    assert.equal(proposal?.status, 'pending');
    assert.match(JSON.stringify(proposal), /beyond reasonable doubt: criterion accuracy/);
  });

  it('a judge asked once leaves the signal and its metric out (not 0)', async () => {
    const rewards = await putRewards({ disagrees: () => false, samples: false });
    const { out, record } = await monitor('once', rewards);
    assert.equal('judge_disagreement_fraction' in record.signals, false);
    assert.equal(out.metrics['monitor/judge_disagreement_fraction'], undefined);
    assert.equal(out.metrics['monitor/outlier_fraction'], 0);
  });

  it("judged monitor criteria spend only the monitor's allowance, and the step reports what they spent", async (t) => {
    const judgeServer = await startTinyJudge();
    t.after(() => judgeServer.close());
    const judgeConfig = (name: string) =>
      JudgeConfig.parse({
        baseUrl: judgeServer.baseUrl,
        model: 'test-judge',
        cacheDir: join(dir, name, 'verdicts'),
        timeoutMs: 5000,
      });
    // The monitor rubric is the test rubric itself: one judged criterion, so one request per answer.
    const judged = (name: string) =>
      ({
        ...run,
        config: {
          ...run.config,
          defence: {
            adaptive: AdaptiveDefenceSettings.parse({ enabled: true, monitorRubrics: [rubric.id] }),
          },
        },
        prepared: { rubrics: new Map([[rubric.id, rubric]]) },
        createJudge: (limits?: JudgeLimits) =>
          createJudge(limitJudgeConfig({ config: judgeConfig(name), limits: limits ?? {} })),
      }) as unknown as RunContext;
    const rewards = await putRewards({ disagrees: () => false, samples: false });
    const monitorWith = (trainRunId: string, allowance?: { requests: number }) =>
      monitorStep({
        store,
        key: { trainRunId, step: 1, purpose: 'train' },
        run: async () => judged(trainRunId),
        rollouts,
        rewards,
        ...(allowance === undefined ? {} : { allowance }),
        verifiers: defaultVerifiers(),
        log: pino({ level: 'silent' }),
      });

    let before = judgeServer.requests.length;
    const free = await monitorWith('unlimited');
    assert.equal(judgeServer.requests.length - before, 8, 'one request per answer');
    assert.equal(free.judgeUsage.requests, 8);

    before = judgeServer.requests.length;
    const limited = await monitorWith('limited', { requests: 3 });
    assert.equal(judgeServer.requests.length - before, 3, 'no request past the allowance');
    assert.equal(limited.judgeUsage.requests, 3);
    // A retry reads the committed record back: the same spend, and nothing asked again.
    before = judgeServer.requests.length;
    const again = await monitorWith('limited', { requests: 3 });
    assert.equal(again.reused, true);
    assert.deepEqual(again.judgeUsage, limited.judgeUsage);
    assert.equal(judgeServer.requests.length, before);
  });
});
