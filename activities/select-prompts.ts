import { Address } from '../src/store/address.ts';
import { commitOnce } from '../src/step/commit.ts';
import { RewardsRecord } from '../src/train/rewards.ts';
import { readRolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import {
  type SelectionRecord,
  SelectionRecord as SelectionSchema,
  selectByQuantile,
} from '../src/train/selection.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import type { SelectPromptsInput, SelectPromptsOutput } from './types.ts';

/**
 * Turns a data selection's rewards into the stage's prompt list: each prompt's mean reward over its
 * scored samples, then the central quantile band (`selectByQuantile`). When fewer prompts than a
 * step needs fall in the band, the stage keeps all its prompts and the record says why. Committed
 * create-only under `runs/<id>/selections/step-<n>/selected`.
 */
export function selectPromptsActivity(deps: ActivityDeps) {
  return function selectPrompts(input: SelectPromptsInput): Promise<SelectPromptsOutput> {
    return asActivity(async () => {
      const { store } = deps;
      const ref = runRefs.selection(input.trainRunId, input.step);
      const existing = await store.getRef(ref);
      const summarise = (record: SelectionRecord, address: string, reused: boolean): SelectPromptsOutput => ({
        selection: address,
        scored: record.scored,
        kept: record.kept.length,
        fallback: record.fallback ?? null,
        reused,
      });
      if (existing !== undefined)
        return summarise(await store.getJson(existing, SelectionSchema), existing, true);
      const run = await deps.loadRun(input.configAddress, input.stageStarts);
      const stage = run.stageForStep(input.step);
      const rewards = await store.getJson(input.rewards, RewardsRecord);
      const { groups } = await readRolloutBatch({ store, address: rewards.rollouts });
      const means = groups.map((g, i) => {
        const values = rewards.samples
          .filter((s) => s.group === i && s.reward !== null)
          .map((s) => s.reward!);
        return {
          promptId: g.promptId,
          mean: values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length,
        };
      });
      const band = selectByQuantile({
        means,
        lowerQuantile: stage.dataSelection.lowerQuantile,
        upperQuantile: stage.dataSelection.upperQuantile,
      });
      const keptIds = new Set(band.kept);
      const kept = run
        .trainingPrompts(stage)
        .map((e) => e.prompt.record.id)
        .filter((id) => keptIds.has(id));
      const need = stage.rl.promptsPerStep;
      const record: SelectionRecord = {
        format: 'anchorage.selection/1',
        stage: stage.name,
        step: stage.firstStep,
        rewards: Address.parse(input.rewards),
        scored: means.filter((m) => m.mean !== null).length,
        kept,
        lower: band.lower,
        upper: band.upper,
        ...(kept.length < need
          ? {
              fallback: `${kept.length} prompts fell in the band [${band.lower}, ${band.upper}], fewer than rl.promptsPerStep (${need}); the stage trains on all its prompts`,
            }
          : {}),
      };
      const committed = await commitOnce({ store, ref, address: (await store.putJson(record)).address });
      const winner = committed.created ? record : await store.getJson(committed.address, SelectionSchema);
      deps.log.info(
        {
          trainRunId: input.trainRunId,
          stage: stage.name,
          scored: record.scored,
          kept: winner.kept.length,
          fallback: winner.fallback,
        },
        'data selection committed',
      );
      return summarise(winner, committed.address, !committed.created);
    });
  };
}
