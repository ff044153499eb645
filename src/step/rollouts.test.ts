import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { RolloutProgress } from '../contracts/activity-progress.ts';
import type { StepRef } from '../contracts/step-refs.ts';
import { PromptRecord } from '../data/prompt-record.ts';
import type { Policy } from '../engine/policy.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import { LocalFolderStore } from '../store/local-store.ts';
import { storeRunConfig } from '../train/stored-config.ts';
import { type RolloutBatch, type RolloutGroup, readRolloutBatch } from '../train/rollouts.ts';
import { runRefs } from '../train/run-refs.ts';
import { writeTinyRun } from '../train/testing/tiny-run.ts';
import { ValidationError } from '../util/errors.ts';
import { COMMIT_POINTS, commit } from './commit.ts';
import { createPolicyPool, type PolicyProvider } from './policy-pool.ts';
import { enginePrompt, generateRollouts } from './rollouts.ts';
import { createRunLoader } from './run-context.ts';

/** A policy as `enginePrompt` sees it: only whether the model has a chat template. */
const policyWith = (hasChatTemplate: boolean) => ({ tokenizer: { hasChatTemplate } }) as unknown as Policy;

describe('enginePrompt', () => {
  const chat = PromptRecord.parse({
    id: 'chat',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hi.' },
    ],
  });
  const plain = PromptRecord.parse({ id: 'plain', prompt: 'Say hi.' });

  it('with a chat template: the conversation, a plain prompt as one user turn', () => {
    assert.deepEqual(enginePrompt(policyWith(true), chat), { messages: chat.messages });
    assert.deepEqual(enginePrompt(policyWith(true), plain), {
      messages: [{ role: 'user', content: 'Say hi.' }],
    });
  });

  it('without one: text, the turns joined by blank lines', () => {
    assert.deepEqual(enginePrompt(policyWith(false), chat), { text: 'Be brief.\n\nSay hi.' });
    assert.deepEqual(enginePrompt(policyWith(false), plain), { text: 'Say hi.' });
  });
});

/** A policy provider the test fails through if anything asks it for a policy. */
const noPolicies: PolicyProvider = {
  withPolicy: () => Promise.reject(new Error('no policy expected')),
  close: () => Promise.resolve(),
};

describe('generateRollouts on the tiny model and a real store', () => {
  let dir: string;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let store: LocalFolderStore;
  let configAddress: string;
  let loadRun: ReturnType<typeof createRunLoader>;
  const policies = createPolicyPool({ threads: 1 });
  const groupSize = 4;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-step-rollouts-'));
    model = await writeTinyModel({ seed: 5 });
    const storeDir = join(dir, 'store');
    store = new LocalFolderStore({ root: storeDir });
    const file = await writeTinyRun({
      dir,
      queuePrefix: 'step-rollouts',
      modelPath: model.path,
      storeDir,
      steps: 2,
      prompts: 6,
      promptsPerStep: 3,
      groupSize,
      // At temperature 5 the tiny model's distributions are near uniform, so some answers end with
      // the stop token before the limit and some are cut off there.
      maxNewTokens: 96,
      rl: { temperature: 5 },
    });
    configAddress = await storeRunConfig({
      store,
      trainRunId: 'config',
      file,
      text: await readFile(file, 'utf8'),
    });
    loadRun = createRunLoader({ store });
  });
  after(async () => {
    await policies.close();
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** Step 1 of a run of its own (the sampling depends on the configuration and step only). */
  const refOf = (trainRunId: string): StepRef => ({ trainRunId, configAddress, step: 1, purpose: 'train' });

  const generate = (options: {
    ref: StepRef;
    heartbeat?: Map<number, string>;
    policies?: PolicyProvider;
    run?: () => ReturnType<typeof loadRun>;
    progress?: RolloutProgress[];
  }) =>
    generateRollouts({
      store,
      ref: options.ref,
      checkpoint: null,
      run: options.run ?? (() => loadRun(configAddress)),
      policies: options.policies ?? policies,
      rolloutBatch: 8,
      log: pino({ level: 'silent' }),
      heartbeatGroups: () => new Map(options.heartbeat),
      progress: (p) => options.progress?.push(structuredClone(p)),
      signal: new AbortController().signal,
      checkCancelled: () => undefined,
      attempt: 1,
    });

  /** The batch of a run that sampled every group itself. */
  let reference: { address: string; batch: RolloutBatch; groups: RolloutGroup[] } | undefined;
  const referenceBatch = async () => {
    if (reference === undefined) {
      const out = await generate({ ref: refOf('reference') });
      reference = { address: out.rollouts, ...(await readRolloutBatch({ store, address: out.rollouts })) };
    }
    return reference;
  };

  it('commits every group and the batch; the stats count each response of each group', async () => {
    const { address, batch, groups } = await referenceBatch();
    const key = { trainRunId: 'reference', step: 1, purpose: 'train' as const };
    assert.equal(await store.getRef(runRefs.rollouts(key)), address);
    const groupRefs = await store.listRefs(runRefs.rolloutGroups(key));
    assert.deepEqual(
      groupRefs.map((r) => r.address).sort(),
      [...batch.groups].sort(),
      'each group is committed under its own ref',
    );
    assert.equal(groups.length, 3);
    assert.equal(batch.groupSize, groupSize);
    const samples = groups.flatMap((g) => g.samples);
    assert.deepEqual(
      groups.map((g) => g.samples.map((s) => s.stream)),
      [0, 1, 2].map((i) => [0, 1, 2, 3].map((j) => i * groupSize + j)),
      'stream = group * G + member',
    );
    const truncated = samples.filter((s) => s.finishReason === 'length').length;
    assert.ok(truncated > 0 && truncated < samples.length, `${truncated} of ${samples.length} truncated`);
    assert.deepEqual(
      { ...batch.stats, ms: 0 },
      {
        groups: 3,
        responses: 3 * groupSize,
        promptTokens: groups.reduce((n, g) => n + g.promptIds.length * g.samples.length, 0),
        newTokens: samples.reduce((n, s) => n + s.tokenIds.length, 0),
        truncated,
        resumedGroups: 0,
        ms: 0,
      },
    );
  });

  it('a committed batch is returned as it is, without loading the run or a policy', async () => {
    const { address, batch } = await referenceBatch();
    const ref = refOf('committed');
    await commit({
      store,
      point: COMMIT_POINTS.rollouts,
      key: ref,
      record: { ...batch, trainRunId: ref.trainRunId },
    });
    const out = await generate({
      ref,
      policies: noPolicies,
      run: () => Promise.reject(new Error('no run expected')),
    });
    assert.equal(out.reused, true);
    assert.notEqual(out.rollouts, address, 'the batch committed for this run, not the reference');
    assert.deepEqual(
      { stage: out.stage, groups: out.groups, stats: out.stats },
      { stage: batch.stage, groups: 3, stats: batch.stats },
    );
  });

  it('a retry resumes the groups under their refs and the heartbeat’s groups still in the store, and samples the rest', async () => {
    const { batch, groups } = await referenceBatch();
    const ref = refOf('resumed');
    // Group 0 was committed under its ref; group 1 only named in a heartbeat; group 2 named in a
    // heartbeat at an address the store does not hold; a ref past the batch's groups is ignored.
    await store.setRef(runRefs.rolloutGroup({ ...ref, group: 0 }), batch.groups[0]!, { mode: 'create-only' });
    await store.setRef(runRefs.rolloutGroup({ ...ref, group: 7 }), batch.groups[2]!, { mode: 'create-only' });
    const missing = `sha256:${'0'.repeat(64)}`;
    const progress: RolloutProgress[] = [];
    const out = await generate({
      ref,
      heartbeat: new Map([
        [1, batch.groups[1]!],
        [2, missing],
      ]),
      progress,
    });
    assert.deepEqual(progress[0], { total: 3, groups: { 0: batch.groups[0], 1: batch.groups[1] } });
    assert.equal(out.reused, false);
    assert.equal(out.stats.resumedGroups, 2);
    const resumed = await readRolloutBatch({ store, address: out.rollouts });
    assert.deepEqual(resumed.batch.groups, batch.groups, 'group 2 sampled again, the same as before');
    assert.deepEqual(resumed.groups, groups);
    assert.deepEqual(
      { ...out.stats, ms: 0 },
      { ...batch.stats, resumedGroups: 2, ms: 0 },
      'the stats cover the resumed groups too',
    );
  });

  it('a stored group that is not the one the step plans is refused, and nothing is committed', async () => {
    const { batch, groups } = await referenceBatch();
    const ref = refOf('mismatched');
    // Group 1's samples committed as group 0.
    await store.setRef(runRefs.rolloutGroup({ ...ref, group: 0 }), batch.groups[1]!, { mode: 'create-only' });
    await assert.rejects(
      generate({ ref, policies: noPolicies }),
      (err: unknown) =>
        err instanceof ValidationError &&
        err.message ===
          `stored rollout group ${batch.groups[1]} is group 1 for prompt '${groups[1]!.promptId}'; step 1 plans '${groups[0]!.promptId}' as group 0`,
    );
    assert.equal(await store.getRef(runRefs.rollouts(ref)), undefined);
  });
});
