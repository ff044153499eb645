import { makeCriterion, makeRubric, scored, unscorable } from '../../rubric/aggregate/fixtures.ts';
import { aggregateReward } from '../../rubric/aggregate/index.ts';
import type { Verdict } from '../../rubric/verdict.ts';
import type { ArtifactStore } from '../../store/store.ts';
import type { MetricsRecord } from '../../train/metrics.ts';
import { computeStepRewards } from '../../step/reward-math.ts';
import type { RewardsRecord } from '../../train/rewards.ts';
import type { RolloutBatch, RolloutGroup } from '../../train/rollouts.ts';
import { runRefs } from '../../train/run-refs.ts';
import { storeRunConfig } from '../../train/stored-config.ts';

/**
 * Test support (not used by the library): a run written into a store the way the activities write
 * one, with what a report must show honestly. Four planned steps: step 1 done; step 2 done but with
 * no scorable response (no reward: n/a, not 0); step 3 started (rollouts) and never recorded; step 4
 * not run. Evaluations after steps 0 and 2 (two prompts; the second prompt's later answer is
 * unscorable), each with an `eval/suite-x/...` metric another suite might add; `suite-y` measured
 * after step 0 and failed after step 2, `suite-z` failed wherever it ran. No KL was recorded.
 */

export const SYNTHETIC_RUN_ID = 'synthetic-run';

const rubric = makeRubric({
  criteria: [makeCriterion({ id: 'has-title' }), makeCriterion({ id: 'no-comma' })],
  aggregation: { minScoredFraction: 1 },
});

function sampleRewards(verdicts: Verdict[][]): RewardsRecord['samples'] {
  const groups = verdicts.map((v) => [
    [{ rubricId: 'test/rubric', weight: 1, reward: aggregateReward({ rubric, verdicts: v }) }],
  ]);
  return computeStepRewards({ groups, estimator: 'grpo', dropZeroVariance: false, advantages: false })
    .samples;
}

async function writeEvaluation(options: {
  store: ArtifactStore;
  step: number;
  answers: string[];
  verdicts: Verdict[][];
}): Promise<void> {
  const { store, step } = options;
  const key = { trainRunId: SYNTHETIC_RUN_ID, step, purpose: 'eval' as const };
  const groups: string[] = [];
  for (const [index, text] of options.answers.entries()) {
    const group: RolloutGroup = {
      format: 'anchorage.rollout-group/1',
      index,
      promptId: `held-out-${index}`,
      promptText: `Write a line about the sea, number ${index}.`,
      promptIds: [1, 2, 3],
      samples: [
        { tokenIds: [5, 6, 7, 8], text, logprobs: [-1, -1, -1, -1], finishReason: 'stop', stream: index },
      ],
    };
    groups.push((await store.putJson(group)).address);
  }
  const stats = {
    groups: groups.length,
    responses: groups.length,
    promptTokens: 6,
    newTokens: 8,
    truncated: 0,
    resumedGroups: 0,
    ms: 5,
  };
  const batch: RolloutBatch = {
    format: 'anchorage.rollouts/1',
    trainRunId: SYNTHETIC_RUN_ID,
    step,
    purpose: 'eval',
    stage: 'main',
    checkpoint: null,
    groupSize: 1,
    sampling: { temperature: 0, topP: 1, maxNewTokens: 8, seed: 1 },
    groups,
    stats,
  };
  const rollouts = (await store.putJson(batch)).address;
  await store.setRef(runRefs.rollouts(key), rollouts, { mode: 'create-only' });
  const samples = sampleRewards(options.verdicts);
  const record = {
    format: 'anchorage.rewards/1',
    rollouts,
    judgements: [],
    estimator: 'grpo',
    samples,
    groups: [],
    summary: {
      ...computeStepRewards({ groups: [], estimator: 'grpo', dropZeroVariance: false }).summary,
      ms: 1,
    },
  };
  await store.setRef(runRefs.rewards(key), (await store.putJson(record)).address, { mode: 'create-only' });
}

const record = (
  step: number,
  purpose: 'train' | 'eval',
  metrics: Record<string, number>,
  failures?: MetricsRecord['failures'],
): MetricsRecord => ({
  format: 'anchorage.metrics/1',
  trainRunId: SYNTHETIC_RUN_ID,
  step,
  purpose,
  stage: 'main',
  at: `2026-01-01T00:0${step}:00.000Z`,
  metrics,
  ...(failures === undefined ? {} : { failures }),
});

/** The records of the synthetic run, in the metrics file's order. */
export function syntheticRecords(): MetricsRecord[] {
  return [
    record(0, 'eval', {
      'eval/reward/mean': 0.25,
      'eval/reward/std': 0.25,
      'eval/reward/min': 0,
      'eval/reward/max': 0.5,
      'eval/reward/criterion/has-title/mean': 0.5,
      'eval/reward/criterion/no-comma/mean': 0,
      'eval/rollout/mean_length': 4,
      'eval/suite-x/accuracy': 0.2,
      'eval/suite-y/rate': 0.4,
    }),
    record(1, 'train', {
      'reward/mean': 0.5,
      'reward/std': 0.1,
      'reward/min': 0.4,
      'reward/max': 0.6,
      'reward/greedy_mean': 0.45,
      'reward/scored_fraction': 1,
      'reward/criterion/has-title/mean': 0.75,
      'loss/total': 0.3,
      'policy/entropy': 2.5,
      'policy/clip_fraction': 0.1,
      'rollout/mean_length': 6,
      'rollout/truncated_fraction': 0.5,
      'advantage/zero_variance_fraction': 0.25,
      'judge/multi_sampled_criteria': 4,
      'judge/disagreement_rate': 0.5,
      'judge/mean_spread': 0.25,
      'optim/applied': 1,
      'time/rollout_s': 1.5,
      'time/step_s': 2,
    }),
    // Nothing could be scored at step 2: no reward keys at all (the writer leaves them out, never 0).
    record(2, 'train', {
      'reward/scored_fraction': 0,
      'loss/total': 0.2,
      'policy/entropy': 2.4,
      'rollout/mean_length': 7,
      'rollout/truncated_fraction': 0.25,
      'optim/applied': 1,
      'time/rollout_s': 1.4,
      'time/step_s': 1.9,
    }),
    record(
      2,
      'eval',
      {
        'eval/reward/mean': 1,
        'eval/reward/std': 0,
        'eval/reward/min': 1,
        'eval/reward/max': 1,
        'eval/reward/criterion/has-title/mean': 1,
        'eval/reward/criterion/no-comma/mean': 1,
        'eval/rollout/mean_length': 5,
        'eval/suite-x/accuracy': 0.6,
      },
      [
        { what: 'eval/suite-y', type: 'SuiteError', message: 'the suite crashed' },
        { what: 'eval/suite-z', type: 'SuiteError', message: 'never ran' },
      ],
    ),
  ];
}

/** Writes the synthetic run into `store`; returns its id. */
export async function writeSyntheticRun(store: ArtifactStore): Promise<string> {
  await storeRunConfig({
    store,
    trainRunId: SYNTHETIC_RUN_ID,
    file: '/nowhere/synthetic.yaml',
    text: 'name: synthetic\nsteps: 4\nmodel: { path: default, name: tiny-test }\n',
  });
  for (const r of syntheticRecords()) {
    const ref = runRefs.metrics({ trainRunId: SYNTHETIC_RUN_ID, step: r.step, purpose: r.purpose });
    await store.setRef(ref, (await store.putJson(r)).address, { mode: 'create-only' });
  }
  await writeEvaluation({
    store,
    step: 0,
    answers: ['the sea, the sea', 'waves\u0001'],
    verdicts: [
      [scored('has-title', 1), scored('no-comma', 0)],
      [scored('has-title', 0), scored('no-comma', 0)],
    ],
  });
  await writeEvaluation({
    store,
    step: 2,
    answers: ['# The Sea\nblue', 'Waves'],
    verdicts: [
      [scored('has-title', 1), scored('no-comma', 1)],
      [unscorable('has-title', 'the judge did not answer'), unscorable('no-comma')],
    ],
  });
  // Step 3 sampled its rollouts and then stopped: artifacts, no metrics record.
  const step3 = await store.putJson({ note: 'a rollout batch that was never recorded' });
  await store.setRef(
    runRefs.rollouts({ trainRunId: SYNTHETIC_RUN_ID, step: 3, purpose: 'train' }),
    step3.address,
    {
      mode: 'create-only',
    },
  );
  return SYNTHETIC_RUN_ID;
}
