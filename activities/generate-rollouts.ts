import { Context } from '@temporalio/activity';
import { promptText } from '../src/data/prompt-record.ts';
import type { GenerationResult } from '../src/engine/policy.ts';
import { LoraConfigSchema } from '../src/models/llama/lora.ts';
import { Address } from '../src/store/address.ts';
import { commitOnce } from '../src/step/commit.ts';
import {
  type RolloutBatch,
  RolloutBatch as RolloutBatchSchema,
  type RolloutGroup,
  RolloutGroup as RolloutGroupSchema,
  type RolloutStats,
} from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { ValidationError } from '../src/util/errors.ts';
import { failpoint } from '../src/util/failpoints.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating, previousHeartbeat, throwIfCancelled } from './heartbeat.ts';
import { enginePrompt } from '../src/step/engine-prompt.ts';
import type { RolloutProgress } from '../src/contracts/activity-progress.ts';
import { parseRolloutProgress } from './activity-progress.ts';
import { stepPlan } from '../src/step/plan.ts';
import type { GenerateRolloutsInput, GenerateRolloutsOutput } from './types.ts';

/**
 * Samples G responses per prompt of a step with the policy of the given checkpoint and commits each
 * prompt group under its own create-only ref as soon as it is done (and names it in the heartbeat
 * details, for progress). A retried attempt (after a crash or a shutdown) reads back the groups its
 * predecessors committed and samples only the rest; sampling is counter-based per (seed, stream),
 * so the result is the same either way.
 * The batch is committed under a create-only ref: a later attempt that finds it returns it.
 */
export function generateRolloutsActivity(deps: ActivityDeps) {
  return function generateRollouts(input: GenerateRolloutsInput): Promise<GenerateRolloutsOutput> {
    return asActivity(async () => {
      const started = performance.now();
      const { store } = deps;
      const key = { trainRunId: input.trainRunId, step: input.step, purpose: input.purpose };
      const ref = runRefs.rollouts(key);
      const facts = { step: input.step, purpose: input.purpose };
      const existing = await store.getRef(ref);
      if (existing !== undefined) {
        const batch = await store.getJson(existing, RolloutBatchSchema);
        return {
          rollouts: existing,
          stage: batch.stage,
          groups: batch.groups.length,
          stats: batch.stats,
          reused: true,
        };
      }

      const run = await deps.loadRun(input.configAddress);
      const plan = await stepPlan({ run, ref: input, store });
      const total = plan.entries.length;
      // Groups an earlier attempt finished: committed under their refs (and, from attempts before
      // group refs existed, named in its last heartbeat).
      const done = parseRolloutProgress(previousHeartbeat(), total);
      for (const [index, address] of done) if (!(await store.has(address))) done.delete(index);
      for (const { name, address } of await store.listRefs(runRefs.rolloutGroups(key))) {
        const index = Number(name.slice(name.lastIndexOf('-') + 1));
        if (Number.isInteger(index) && index >= 0 && index < total) done.set(index, address);
      }
      const resumedGroups = done.size;
      const log = deps.log.child({ trainRunId: input.trainRunId, step: input.step, purpose: input.purpose });
      if (resumedGroups > 0) {
        log.info({ resumedGroups, total, attempt: Context.current().info.attempt }, 'resuming rollouts');
      }

      const stats = { promptTokens: 0, newTokens: 0, truncated: 0 };
      const count = (
        samples: ReadonlyArray<{ tokenIds: readonly number[]; finishReason: string }>,
        promptTokens: number,
      ) => {
        for (const r of samples) {
          stats.promptTokens += promptTokens;
          stats.newTokens += r.tokenIds.length;
          if (r.finishReason === 'length') stats.truncated++;
        }
      };
      // Resumed groups count in the stats too, so they describe the whole batch.
      for (const [index, address] of done) {
        const group = await store.getJson(address, RolloutGroupSchema);
        const planned = plan.entries[index]!.prompt.record.id;
        if (group.index !== index || group.promptId !== planned) {
          throw new ValidationError(
            `stored rollout group ${address} is group ${group.index} for prompt '${group.promptId}'; step ${input.step} plans '${planned}' as group ${index}`,
          );
        }
        count(group.samples, group.promptIds.length);
      }
      let decoding: RolloutProgress['decoding'];
      const heartbeat = keepHeartbeating({
        details: (): RolloutProgress => ({
          total,
          groups: Object.fromEntries(done),
          ...(decoding === undefined ? {} : { decoding }),
        }),
        everyMs: deps.heartbeatEveryMs,
      });
      try {
        const pending = plan.entries.map((_, i) => i).filter((i) => !done.has(i));
        const lora = LoraConfigSchema.parse({
          rank: run.config.lora.rank,
          alpha: run.config.lora.alpha,
          targets: run.config.lora.targets,
        });
        await deps.policies.withPolicy(
          {
            model: run.config.model.path,
            lora,
            loraSeed: run.config.seed,
            checkpoint: input.checkpoint,
            store,
          },
          async ({ policy }) => {
            throwIfCancelled();
            const G = plan.groupSize;
            // One engine call for every pending group: continuous batching keeps the batch full
            // across them, and each group is written as soon as its last sample ends.
            const sequences = pending.flatMap((i) => Array.from({ length: G }, (_, j) => ({ group: i, j })));
            const prompts = sequences.map(({ group }) =>
              enginePrompt(policy, plan.entries[group]!.prompt.record),
            );
            // Stream ids depend on the group's place in the batch only, not on what else is sampled.
            const streams = sequences.map(({ group, j }) => group * G + j);
            const finished = new Map<number, (GenerationResult | undefined)[]>();
            let writtenTokens = 0;
            let writes: Promise<void> = Promise.resolve();
            const maxSteps = plan.sampling.maxNewTokens;
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
              count(samples, group.promptIds.length);
              const committed = await commitOnce({
                store,
                ref: runRefs.rolloutGroup({ ...key, group: i }),
                address: (await store.putJson(group)).address,
              });
              done.set(i, committed.address);
              heartbeat.now();
              await failpoint('rollouts.group-written', { ...facts, groups: done.size });
            };
            // The greedy members of every group (rl.greedyMember) decode in a call of their own at
            // temperature 0; the sampled ones in one call. Cancellation (worker shutdown, run
            // cancelled) stops generation between decode steps.
            const greedy = (index: number) => sequences[index]!.j < plan.greedyMembers;
            const calls = [
              { temperature: 0, members: sequences.map((_, k) => k).filter(greedy) },
              {
                temperature: plan.sampling.temperature,
                members: sequences.map((_, k) => k).filter((k) => !greedy(k)),
              },
            ].filter((c) => c.members.length > 0);
            let tokensBefore = 0;
            for (const call of calls) {
              let callTokens = 0;
              await policy.generate({
                prompts: call.members.map((k) => prompts[k]!),
                sampling: { ...plan.sampling, temperature: call.temperature },
                streams: call.members.map((k) => streams[k]!),
                batchSize: deps.rolloutBatch,
                signal: Context.current().cancellationSignal,
                onStep: ({ newTokens }) => {
                  callTokens = newTokens;
                  const inFlight = pending.length - done.size + resumedGroups;
                  decoding = {
                    groups: inFlight,
                    step: inFlight === 0 ? 0 : (tokensBefore + newTokens - writtenTokens) / (inFlight * G),
                    maxSteps,
                  };
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
            }
            await writes;
            decoding = undefined;
            heartbeat.now();
          },
        );
      } finally {
        heartbeat.stop();
      }

      const groups = plan.entries.map((_, i) => done.get(i) as Address);
      const rolloutStats: RolloutStats = {
        groups: total,
        responses: total * plan.groupSize,
        ...stats,
        resumedGroups,
        ms: performance.now() - started,
      };
      const batch: RolloutBatch = {
        format: 'anchorage.rollouts/1',
        trainRunId: input.trainRunId,
        step: input.step,
        purpose: input.purpose,
        stage: plan.stage.name,
        checkpoint: input.checkpoint === null ? null : Address.parse(input.checkpoint),
        groupSize: plan.groupSize,
        sampling: plan.sampling,
        groups,
        stats: rolloutStats,
      };
      const batchAddress = (await store.putJson(batch)).address;
      await failpoint('rollouts.before-commit', facts);
      const committed = await commitOnce({ store, ref, address: batchAddress });
      log.info(
        { groups: total, newTokens: stats.newTokens, resumedGroups, ms: Math.round(rolloutStats.ms) },
        'rollouts committed',
      );
      await failpoint('rollouts.committed', facts);
      return {
        rollouts: committed.address,
        stage: plan.stage.name,
        groups: total,
        stats: rolloutStats,
        reused: !committed.created,
      };
    });
  };
}
