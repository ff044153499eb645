import type { Logger } from 'pino';
import type { RolloutProgress } from '../contracts/activity-progress.ts';
import { type StepKey, type StepRef, stepKeyOf } from '../contracts/step-refs.ts';
import { type PromptRecord, promptMessages, promptText } from '../data/prompt-record.ts';
import type { GenerationResult, Policy } from '../engine/policy.ts';
import type { Prompt } from '../engine/prompts.ts';
import { Address } from '../store/address.ts';
import type { ArtifactStore } from '../store/store.ts';
import type { RolloutBatch, RolloutGroup, RolloutStats } from '../train/rollouts.ts';
import { runRefs } from '../train/run-refs.ts';
import { NO_TELEMETRY, type TrainingTelemetry } from '../telemetry/training-telemetry.ts';
import { ValidationError } from '../util/errors.ts';
import { failpoint } from '../util/failpoints.ts';
import { COMMIT_POINTS, commit, findCommitted } from './commit.ts';
import { type StepPlan, stepPlan } from './plan.ts';
import type { PolicyProvider } from './policy-pool.ts';
import type { RunContext } from './run-context.ts';

/** A prompt record as the engine takes it: chat messages when the model has a chat template, else text. */
export function enginePrompt(policy: Policy, record: PromptRecord): Prompt {
  return policy.tokenizer.hasChatTemplate
    ? { messages: promptMessages(record) }
    : {
        text:
          promptMessages(record)
            .map((m) => m.content)
            .join('\n\n') || promptText(record),
      };
}

/** Sends the rollout progress (the groups done, and the decoding step) to the heartbeat. */
type Report = (urgent: boolean, decoding?: RolloutProgress['decoding']) => void;

type Counts = { promptTokens: number; newTokens: number; truncated: number };

function count(
  stats: Counts,
  samples: ReadonlyArray<{ tokenIds: readonly number[]; finishReason: string }>,
  promptTokens: number,
) {
  for (const r of samples) {
    stats.promptTokens += promptTokens;
    stats.newTokens += r.tokenIds.length;
    if (r.finishReason === 'length') stats.truncated++;
  }
}

/**
 * Samples G responses per prompt of a step (src/step/plan.ts) with the policy of `checkpoint`, and
 * commits each prompt group at `rolloutGroup` as soon as it is done, then the batch at `rollouts`. A
 * retried attempt reads back the groups its predecessors committed and samples only the rest;
 * sampling is counter-based per (seed, stream), so the result is the same either way. A committed
 * batch is returned as it is.
 */
export async function generateRollouts(options: {
  store: ArtifactStore;
  ref: StepRef;
  /** Checkpoint to sample from; null: fresh adapters from the run seed (the base model). */
  checkpoint: string | null;
  run: () => Promise<RunContext>;
  policies: PolicyProvider;
  /** Sequences the engine decodes together. */
  rolloutBatch: number;
  log: Logger;
  /** Groups an earlier attempt named in its heartbeat (before group refs existed), by index. */
  heartbeatGroups: (total: number) => Map<number, string>;
  /** Progress for the heartbeat; `urgent` when a group was just committed. */
  progress: (progress: RolloutProgress, urgent: boolean) => void;
  signal: AbortSignal;
  /** Throws when the attempt was cancelled. */
  checkCancelled: () => void;
  attempt: number;
  /** Receives each engine generation's tokens and times, and the phase's duration once committed. */
  telemetry?: TrainingTelemetry;
}): Promise<{ rollouts: string; stage: string; groups: number; stats: RolloutStats; reused: boolean }> {
  const started = performance.now();
  const { store } = options;
  const telemetry = options.telemetry ?? NO_TELEMETRY;
  const key = stepKeyOf(options.ref);
  const existing = await findCommitted({ store, point: COMMIT_POINTS.rollouts, key });
  if (existing !== undefined) {
    const batch = existing.record;
    return {
      rollouts: existing.address,
      stage: batch.stage,
      groups: batch.groups.length,
      stats: batch.stats,
      reused: true,
    };
  }
  const run = await options.run();
  const plan = await stepPlan({ run, ref: options.ref, store });
  const total = plan.entries.length;
  const done = await committedGroups({ store, key, plan, heartbeatGroups: options.heartbeatGroups(total) });
  const resumedGroups = done.size;
  const log = options.log.child(key);
  if (resumedGroups > 0) log.info({ resumedGroups, total, attempt: options.attempt }, 'resuming rollouts');
  const stats: Counts = { promptTokens: 0, newTokens: 0, truncated: 0 };
  // Resumed groups count in the stats too, so they describe the whole batch.
  for (const [index, address] of done) {
    const group = await store.getJson(address, COMMIT_POINTS.rolloutGroup.record);
    const planned = plan.entries[index]!.prompt.record.id;
    if (group.index !== index || group.promptId !== planned) {
      throw new ValidationError(
        `stored rollout group ${address} is group ${group.index} for prompt '${group.promptId}'; step ${key.step} plans '${planned}' as group ${index}`,
      );
    }
    count(stats, group.samples, group.promptIds.length);
  }
  const report: Report = (urgent, decoding) =>
    options.progress(
      { total, groups: Object.fromEntries(done), ...(decoding === undefined ? {} : { decoding }) },
      urgent,
    );
  report(false);
  await options.policies.withPolicy(
    {
      model: run.config.model.path,
      lora: run.lora,
      loraSeed: run.config.seed,
      finetune: run.finetune,
      checkpoint: options.checkpoint,
      store,
    },
    async ({ policy }) => {
      options.checkCancelled();
      await sampleGroups({ ...options, key, plan, policy, done, stats, resumedGroups, report, telemetry });
    },
  );
  const rolloutStats: RolloutStats = {
    groups: total,
    responses: total * plan.groupSize,
    ...stats,
    resumedGroups,
    ms: performance.now() - started,
  };
  const batch: RolloutBatch = {
    format: 'anchorage.rollouts/1',
    ...key,
    stage: plan.stage.name,
    checkpoint: options.checkpoint === null ? null : Address.parse(options.checkpoint),
    groupSize: plan.groupSize,
    sampling: plan.sampling,
    groups: plan.entries.map((_, i) => done.get(i) as Address),
    stats: rolloutStats,
  };
  const committed = await commit({
    store,
    point: COMMIT_POINTS.rollouts,
    key,
    record: batch,
    announce: () =>
      log.info(
        { groups: total, newTokens: stats.newTokens, resumedGroups, ms: Math.round(rolloutStats.ms) },
        'rollouts committed',
      ),
  });
  if (committed.created) telemetry.phase({ phase: 'rollout', purpose: key.purpose, ms: rolloutStats.ms });
  return {
    rollouts: committed.address,
    stage: plan.stage.name,
    groups: total,
    stats: committed.record.stats,
    reused: !committed.created,
  };
}

/** The groups earlier attempts finished: committed under their refs, or named in a heartbeat. */
async function committedGroups(options: {
  store: ArtifactStore;
  key: StepKey;
  plan: StepPlan;
  heartbeatGroups: Map<number, string>;
}): Promise<Map<number, string>> {
  const { store, key } = options;
  const total = options.plan.entries.length;
  const done = options.heartbeatGroups;
  for (const [index, address] of done) if (!(await store.has(address))) done.delete(index);
  for (const { name, address } of await store.listRefs(runRefs.rolloutGroups(key))) {
    const index = Number(name.slice(name.lastIndexOf('-') + 1));
    if (Number.isInteger(index) && index >= 0 && index < total) done.set(index, address);
  }
  return done;
}

/**
 * Samples the groups not yet done in one engine call per decoding mode (continuous batching keeps
 * the batch full across groups) and commits each group as soon as its last sample ends.
 */
async function sampleGroups(options: {
  store: ArtifactStore;
  key: StepKey;
  plan: StepPlan;
  policy: Policy;
  done: Map<number, string>;
  stats: Counts;
  resumedGroups: number;
  rolloutBatch: number;
  signal: AbortSignal;
  report: Report;
  telemetry: TrainingTelemetry;
}): Promise<void> {
  const { store, key, plan, policy, done, stats, resumedGroups, report } = options;
  const G = plan.groupSize;
  let decoding: RolloutProgress['decoding'];
  const pending = plan.entries.map((_, i) => i).filter((i) => !done.has(i));
  const sequences = pending.flatMap((i) => Array.from({ length: G }, (_, j) => ({ group: i, j })));
  const prompts = sequences.map(({ group }) => enginePrompt(policy, plan.entries[group]!.prompt.record));
  // Stream ids depend on the group's place in the batch only, not on what else is sampled.
  const streams = sequences.map(({ group, j }) => group * G + j);
  const finished = new Map<number, (GenerationResult | undefined)[]>();
  let writtenTokens = 0;
  let writes: Promise<void> = Promise.resolve();
  const writeGroup = async (i: number, samples: GenerationResult[]) => {
    const record = plan.entries[i]!.prompt.record;
    const group: RolloutGroup = {
      format: 'anchorage.rollout-group/1',
      index: i,
      promptId: record.id,
      promptText: promptText(record),
      promptIds: samples[0]!.promptIds,
      samples: samples.map((r, j) => ({
        tokenIds: r.tokenIds,
        text: r.text,
        logprobs: r.logprobs,
        finishReason: r.finishReason,
        stream: i * G + j,
        ...(j < plan.greedyMembers ? { greedy: true as const } : {}),
      })),
    };
    count(stats, samples, group.promptIds.length);
    const committed = await commit({
      store,
      point: COMMIT_POINTS.rolloutGroup,
      key: { ...key, group: i },
      record: group,
    });
    done.set(i, committed.address);
    report(true, decoding);
    await failpoint('rollouts.group-written', { step: key.step, purpose: key.purpose, groups: done.size });
  };
  // The greedy members of every group (rl.greedyMember) decode in a call of their own at
  // temperature 0; the sampled ones in one call. Cancellation stops generation between decode steps.
  const greedy = (index: number) => sequences[index]!.j < plan.greedyMembers;
  const calls = [
    { temperature: 0, members: sequences.map((_, k) => k).filter(greedy) },
    { temperature: plan.sampling.temperature, members: sequences.map((_, k) => k).filter((k) => !greedy(k)) },
  ].filter((c) => c.members.length > 0);
  let tokensBefore = 0;
  try {
    await decodeCalls();
  } catch (err) {
    // A cancelled or failed attempt ends once the groups it finished are committed, not before.
    await writes.catch(() => undefined);
    throw err;
  }
  await writes;
  report(true);

  async function decodeCalls() {
    for (const call of calls) {
      let callTokens = 0;
      const { stats: generated } = await policy.generate({
        prompts: call.members.map((k) => prompts[k]!),
        sampling: { ...plan.sampling, temperature: call.temperature },
        streams: call.members.map((k) => streams[k]!),
        batchSize: options.rolloutBatch,
        signal: options.signal,
        onStep: ({ newTokens }) => {
          callTokens = newTokens;
          const inFlight = pending.length - done.size + resumedGroups;
          decoding = {
            groups: inFlight,
            step: inFlight === 0 ? 0 : (tokensBefore + newTokens - writtenTokens) / (inFlight * G),
            maxSteps: plan.sampling.maxNewTokens,
          };
          report(false, decoding);
        },
        onFinished: (index, result) => {
          const { group, j } = sequences[call.members[index]!]!;
          const samples = finished.get(group) ?? Array.from({ length: G }, () => undefined);
          samples[j] = result;
          finished.set(group, samples);
          if (samples.some((s) => s === undefined)) return;
          finished.delete(group);
          writtenTokens += samples.reduce((a, s) => a + s!.tokenIds.length, 0);
          const complete = samples as GenerationResult[];
          writes = writes.then(() => writeGroup(group, complete));
          writes.catch(() => undefined); // awaited below; a failure surfaces there
        },
      });
      tokensBefore += callTokens;
      options.telemetry.generation({
        purpose: key.purpose,
        newTokens: generated.newTokens,
        prefillTokens: generated.prefillTokens,
        prefillMs: generated.prefillMs,
        decodeMs: generated.decodeMs,
      });
    }
  }
}
