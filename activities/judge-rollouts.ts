import { Address } from '../src/store/address.ts';
import { commitOnce } from '../src/step/commit.ts';
import { type JudgedGroup, judgeGroup, ShardJudgement, shardGroups } from '../src/train/judgements.ts';
import { readRolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { ValidationError } from '../src/util/errors.ts';
import { failpoint } from '../src/util/failpoints.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating, throwIfCancelled } from './heartbeat.ts';
import { stepPlan } from '../src/step/plan.ts';
import type { JudgeRolloutsInput, JudgeRolloutsOutput } from './types.ts';

/**
 * Scores one shard of a step's rollouts against every rubric of each prompt: verifier criteria
 * here, judged criteria through the run's LLM judge (whose verdict cache answers what any earlier
 * attempt already paid for). The shard's verdicts are committed under a create-only ref, so a
 * shard is judged once: a retry that finds the ref returns it without grading anything.
 */
export function judgeRolloutsActivity(deps: ActivityDeps) {
  return function judgeRollouts(input: JudgeRolloutsInput): Promise<JudgeRolloutsOutput> {
    return asActivity(async () => {
      const started = performance.now();
      const { store } = deps;
      const ref = runRefs.judgement({
        trainRunId: input.trainRunId,
        step: input.step,
        purpose: input.purpose,
        shard: input.shard,
        shards: input.shards,
      });
      const facts = { step: input.step, purpose: input.purpose, shard: input.shard };
      const existing = await store.getRef(ref);
      if (existing !== undefined) {
        const judgement = await store.getJson(existing, ShardJudgement);
        return { judgement: existing, stats: judgement.stats, reused: true };
      }
      const run = await deps.loadRun(input.configAddress);
      const plan = await stepPlan({ run, ref: input, store });
      const { batch, groups } = await readRolloutBatch({ store, address: input.rollouts });
      if (batch.groups.length !== plan.entries.length) {
        throw new ValidationError(
          `rollouts ${input.rollouts} hold ${batch.groups.length} groups; step ${input.step} plans ${plan.entries.length}`,
        );
      }
      const mine = shardGroups({ groups: groups.length, shard: input.shard, shards: input.shards });
      const judge = run.createJudge();
      const counts = { verifierVerdicts: 0, judgeVerdicts: 0, unscorable: 0, responses: 0 };
      const judged: JudgedGroup[] = [];
      const heartbeat = keepHeartbeating({
        details: () => ({ shard: input.shard, groupsDone: judged.length, groups: mine.length }),
        everyMs: deps.heartbeatEveryMs,
      });
      try {
        for (const i of mine) {
          throwIfCancelled();
          const group = groups[i]!;
          const entry = plan.entries[i]!;
          if (entry.prompt.record.id !== group.promptId) {
            throw new ValidationError(
              `rollout group ${i} answers prompt '${group.promptId}', but step ${input.step} plans '${entry.prompt.record.id}'`,
            );
          }
          const result = await judgeGroup({
            group,
            rubrics: entry.rubrics,
            resolved: run.prepared.rubrics,
            verifiers: deps.verifiers,
            judge,
          });
          judged.push(result.judged);
          counts.verifierVerdicts += result.verifierVerdicts;
          counts.judgeVerdicts += result.judgeVerdicts;
          counts.unscorable += result.unscorable;
          counts.responses += group.samples.length;
          await failpoint('judge.verdicts-cached', { ...facts, groups: judged.length });
        }
      } finally {
        heartbeat.stop();
      }
      const judgeStats = judge?.stats();
      const stats = {
        responses: counts.responses,
        verifierVerdicts: counts.verifierVerdicts,
        judgeVerdicts: counts.judgeVerdicts,
        unscorableVerdicts: counts.unscorable,
        judgeCacheHits: judgeStats?.cacheHits ?? 0,
        judgeCacheMisses: judgeStats?.cacheMisses ?? 0,
        judgeRequests: judgeStats?.requests ?? 0,
        ms: performance.now() - started,
      };
      const record: ShardJudgement = {
        format: 'anchorage.judgement/1',
        rollouts: Address.parse(input.rollouts),
        shard: input.shard,
        shards: input.shards,
        groups: judged,
        stats,
      };
      const committed = await commitOnce({ store, ref, address: (await store.putJson(record)).address });
      deps.log.info(
        {
          trainRunId: input.trainRunId,
          step: input.step,
          purpose: input.purpose,
          shard: input.shard,
          ...stats,
        },
        'judgements committed',
      );
      await failpoint('judge.shard-committed', facts);
      return { judgement: committed.address, stats, reused: !committed.created };
    });
  };
}
