import type { JudgeRolloutsOutput } from '../activities/types.ts';
import {
  addUsage,
  allowanceSpent,
  type JudgeAllowance,
  type JudgeUsage,
  NO_USAGE,
  remaining,
  splitAllowance,
} from '../src/contracts/judge-budget.ts';
import type { StepRef } from '../src/contracts/step-refs.ts';
import type { ActivityProxies } from './activities.ts';

/** Judge shards for a batch: as configured, at most one per prompt group. */
export function shardCount(options: { configured: number; groups: number }): number {
  return Math.max(1, Math.min(options.configured, options.groups));
}

/** Every shard judged, in shard order, and what judging them spent. */
export interface ShardsJudged {
  judged: JudgeRolloutsOutput[];
  usage: JudgeUsage;
}

/** The allowance ran out with shards still unjudged: nothing of theirs is scored. */
export interface ShardsBudgetSpent {
  budgetSpent: true;
  usage: JudgeUsage;
}

/**
 * Judges a batch over `shards` parallel judge activities within `allowance` (the run's judge budget
 * left; undefined: no budget). Each round gives the shards still to judge equal shares of what is
 * left; a shard that spends its share commits nothing and is judged again in the next round (its
 * paid verdicts come from the verdict cache) while anything is left. When nothing is left, or a
 * round could send no request, the batch stops as `budgetSpent` and the caller pauses the run.
 * Without an allowance this is one round: every shard at once, as before budgets.
 */
export async function judgeShards(options: {
  acts: ActivityProxies;
  ref: StepRef;
  rollouts: string;
  shards: number;
  allowance: JudgeAllowance | undefined;
  /** Called as each shard is judged (progress for queries). */
  onShardJudged?: () => void;
}): Promise<ShardsJudged | ShardsBudgetSpent> {
  const { acts, ref, rollouts, shards, allowance } = options;
  const judged: Array<JudgeRolloutsOutput | undefined> = Array.from({ length: shards }, () => undefined);
  let usage = NO_USAGE;
  for (;;) {
    const pending = judged.flatMap((out, shard) => (out === undefined ? [shard] : []));
    const left = allowance === undefined ? undefined : remaining({ budget: allowance, used: usage });
    const shares =
      left === undefined ? undefined : splitAllowance({ allowance: left, parts: pending.length });
    const outs = await Promise.all(
      pending.map(async (shard, i) => {
        const share = shares?.[i];
        const out = await acts.judge.judgeRollouts({
          ...ref,
          rollouts,
          shard,
          shards,
          ...(share === undefined ? {} : { allowance: share }),
        });
        if (!('budgetSpent' in out)) options.onShardJudged?.();
        return out;
      }),
    );
    let roundUsage = NO_USAGE;
    outs.forEach((out, i) => {
      roundUsage = addUsage(roundUsage, out.usage);
      if (!('budgetSpent' in out)) judged[pending[i]!] = out;
    });
    usage = addUsage(usage, roundUsage);
    if (judged.every((out) => out !== undefined)) return { judged, usage };
    const after = remaining({ budget: allowance ?? {}, used: usage });
    // A round that could send nothing would only repeat itself: stop and let the run pause.
    if (allowanceSpent(after) || roundUsage.requests === 0) return { budgetSpent: true, usage };
  }
}
