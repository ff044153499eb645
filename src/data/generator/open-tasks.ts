import type { PromptRecordInput } from '../prompt-record.ts';
import { BASE_TASK_POOLS, type BaseTaskPool } from './generate.ts';
import { inTaskSplit, type TaskSplit } from './task-split.ts';

/**
 * The generator's open-ended base tasks as prompts of their own, with no constraint appended: the
 * open-ended stage of `configs/recipes/two-stage.yaml` trains on them (file
 * `data/open-ended/open-tasks-train.jsonl`, the `train` split, checked against this by
 * test/recipes.test.ts). They carry no rubric: the run's `rubrics.apply` gives them theirs. The
 * split is the generator's (src/data/generator/task-split.ts), so a held-out constraint source on
 * `held-out` shares no base task with them.
 */
export function openTaskRecords(split: TaskSplit): PromptRecordInput[] {
  return (Object.entries(BASE_TASK_POOLS) as Array<[BaseTaskPool, (typeof BASE_TASK_POOLS)[BaseTaskPool]]>)
    .flatMap(([pool, tasks]) => tasks.map((task) => ({ pool, task })))
    .filter(({ task }) => task.kind === 'open' && inTaskSplit(task.id, split))
    .map(({ pool, task }) => ({
      id: `open/${task.id.replace(':', '-')}`,
      prompt: task.text,
      tags: ['open-ended', `base:${pool}`],
      source: `open-ended base task, no constraint (base task ${task.id})`,
    }));
}
