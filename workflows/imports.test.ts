import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ACTIVITIES_BY_QUEUE } from '../src/contracts/task-queues.ts';
import {
  RUBRIC_GENERATION_WORKFLOW,
  type RubricGenerationWorkflow,
  SCHEDULED_EVALUATION_WORKFLOW,
  type ScheduledEvaluationWorkflow,
  TRAINING_WORKFLOW,
  type TrainingRunWorkflow,
} from '../src/contracts/workflow-types.ts';
import type { ActivityProxies } from './activities.ts';
import type { rubricGenerationWorkflow } from './rubric-generation.ts';
import type { scheduledEvaluationWorkflow } from './scheduled-evaluation.ts';
import type { trainingRunWorkflow } from './training-run.ts';

const DIR = fileURLToPath(new URL('.', import.meta.url));

test('every workflow function is in the bundle entry (index.ts)', () => {
  const entry = readFileSync(`${DIR}/index.ts`, 'utf8');
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const workflows = files.flatMap((file) =>
    [...readFileSync(`${DIR}/${file}`, 'utf8').matchAll(/^export async function (\w+Workflow)\b/gm)].map(
      (m) => ({ file, name: m[1]! }),
    ),
  );
  assert.ok(workflows.some((w) => w.name === 'scheduledEvaluationWorkflow'));
  for (const { file, name } of workflows) {
    assert.ok(
      entry.includes(`export { ${name} } from './${file}';`),
      `${name} (${file}) is exported by index.ts`,
    );
  }
});

test("each queue's activity proxy is typed with that queue's activities only", () => {
  type Proxies = ActivityProxies;
  // @ts-expect-error the rollout queue does not serve the policy update
  type NotOnRollout = Proxies['rollout']['updatePolicy'];
  // @ts-expect-error the workflow (bookkeeping) queue does not generate rollouts
  type NotOnWorkflowQueue = Proxies['fast']['generateRollouts'];
  const served: Record<keyof Proxies['trainer'], true> = { updatePolicy: true };
  assert.deepEqual(Object.keys(served), [...ACTIVITIES_BY_QUEUE.trainer]);
  // Every activity is on exactly one queue.
  const names = Object.values(ACTIVITIES_BY_QUEUE).flat();
  assert.equal(new Set(names).size, names.length);
  void (undefined as unknown as NotOnRollout | NotOnWorkflowQueue);
});

test('the workflows clients start by name have the names and signatures the contracts declare', () => {
  type Holds<T extends U, U> = T;
  type Checked = [
    Holds<typeof trainingRunWorkflow, TrainingRunWorkflow>,
    Holds<typeof scheduledEvaluationWorkflow, ScheduledEvaluationWorkflow>,
    Holds<typeof rubricGenerationWorkflow, RubricGenerationWorkflow>,
  ];
  void (undefined as unknown as Checked);
  const entry = readFileSync(`${DIR}/index.ts`, 'utf8');
  for (const name of [TRAINING_WORKFLOW, SCHEDULED_EVALUATION_WORKFLOW, RUBRIC_GENERATION_WORKFLOW]) {
    assert.match(entry, new RegExp(`export \\{ ${name} \\}`));
  }
});
