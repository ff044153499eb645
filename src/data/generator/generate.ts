import { z } from 'zod';
import type { RubricFile } from '../../rubric/schema.ts';
import { RubricId } from '../../rubric/schema.ts';
import { ifevalInstruction } from '../../rubric/verifiers/ifeval/instructions/index.ts';
import { ValidationError } from '../../util/errors.ts';
import type { LocatedPrompt, PromptRecord } from '../prompt-record.ts';
import { ARENA_HARD_CREATIVE_TASKS } from './arena-hard-creative.ts';
import { type BaseTask, BUILTIN_TASKS } from './base-tasks.ts';
import { type Constraint, type ConstraintType, compatible, consistent } from './constraint-type.ts';
import { CONTENT_CONSTRAINTS } from './content-constraints.ts';
import { FORMAT_CONSTRAINTS } from './format-constraints.ts';
import { SeededRandom } from './rng.ts';
import { inTaskSplit, TaskSplit } from './task-split.ts';

/** Every constraint type the generator can draw, by IFEval instruction id. */
export const CONSTRAINT_TYPES: readonly ConstraintType[] = [...CONTENT_CONSTRAINTS, ...FORMAT_CONSTRAINTS];
const TYPE_IDS = CONSTRAINT_TYPES.map((t) => t.id);

export const BASE_TASK_POOLS = {
  builtin: BUILTIN_TASKS,
  'arena-hard-creative': ARENA_HARD_CREATIVE_TASKS,
} as const;
export type BaseTaskPool = keyof typeof BASE_TASK_POOLS;

/** The generator's settings as fields, for schemas that embed them (the run configuration). */
export const CONSTRAINT_GENERATOR_FIELDS = {
  /** How many prompts. */
  count: z.number().int().positive().max(1_000_000).default(64),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  minConstraints: z.number().int().min(1).max(3).default(1),
  maxConstraints: z.number().int().min(1).max(3).default(3),
  /** Where base tasks come from: the project's own list, Arena-Hard v2.0 creative-writing prompts. */
  baseTasks: z
    .array(z.enum(Object.keys(BASE_TASK_POOLS) as [BaseTaskPool, ...BaseTaskPool[]]))
    .min(1)
    .default(['builtin', 'arena-hard-creative']),
  /** Which part of each pool: a fixed held-out quarter of its tasks, the other three quarters, or all. */
  taskSplit: TaskSplit.default('all'),
  /** Longest response the prompts are meant for, in words: length and count constraints stay under it. */
  budgetWords: z.number().int().min(10).max(10_000).default(300),
  /**
   * Chance that a forbidden-words constraint forbids topic words of its own task (which a plain
   * answer uses) instead of generic filler words (which it rarely does); 0 leaves prompts unchanged.
   */
  forbidTaskWords: z.number().min(0).max(1).default(0),
  /** Rubrics every generated rubric includes (the reward-hacking rules by default). */
  include: z.array(RubricId).default(['defence/reward-hacking']),
  /** Only these constraint types (IFEval instruction ids); default all. */
  types: z
    .array(z.enum(TYPE_IDS as [string, ...string[]]))
    .min(1)
    .optional(),
};

/** The settings' cross-field rule, shared with schemas that embed the fields. */
export function checkConstraintCounts(
  o: { minConstraints: number; maxConstraints: number },
  ctx: z.RefinementCtx,
): void {
  if (o.minConstraints > o.maxConstraints) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxConstraints'],
      message: 'maxConstraints at least minConstraints',
    });
  }
}

export const ConstraintGeneratorOptions = z
  .strictObject(CONSTRAINT_GENERATOR_FIELDS)
  .superRefine(checkConstraintCounts);
export type ConstraintGeneratorOptions = z.infer<typeof ConstraintGeneratorOptions>;
export type ConstraintGeneratorInput = z.input<typeof ConstraintGeneratorOptions>;

/** One generated prompt before it becomes a record: the task, the constraints, the text. */
export interface GeneratedPrompt {
  index: number;
  task: BaseTask;
  pool: BaseTaskPool;
  constraints: Constraint[];
  text: string;
}

/**
 * Builds constraint-following training prompts: a short base task plus 1-3 verifiable constraints
 * drawn from the IFEval instruction types with random arguments, each phrased in one of several
 * ways. Types that cannot hold together (lower case and capitals, JSON and bullet points) are never
 * combined, nor constraints where one forbids what another requires. Prompt `i` depends only on
 * the seed, `i` and the options (not on `count`), so a longer run extends a shorter one.
 *
 * Each prompt carries its instance rubric: one pass/fail criterion per constraint, checked by the
 * `ifeval.<instruction id>` verifier with the constraint's arguments, plus the included rubrics.
 */
export function generateConstraintPrompts(
  input: ConstraintGeneratorInput & { sourceName?: string } = {},
): LocatedPrompt[] {
  const { sourceName = 'constraints', ...rest } = input;
  const options = ConstraintGeneratorOptions.parse(rest);
  const out: LocatedPrompt[] = [];
  for (let index = 0; index < options.count; index++) {
    const generated = generateOne({ options, index });
    out.push({
      record: toRecord({ generated, options }),
      file: `generator:constraints(seed=${options.seed})`,
      line: index + 1,
      sourceName,
    });
  }
  return out;
}

/** The `index`-th prompt of a seed. */
export function generateOne(options: {
  options: ConstraintGeneratorOptions;
  index: number;
}): GeneratedPrompt {
  const { options: o, index } = options;
  // One stream per prompt: prompt i is the same whatever the count.
  const rng = new SeededRandom(o.seed * 65_537 + index);
  const types =
    o.types === undefined ? CONSTRAINT_TYPES : CONSTRAINT_TYPES.filter((t) => o.types!.includes(t.id));
  for (let attempt = 0; attempt < 50; attempt++) {
    const pool = rng.pick(o.baseTasks);
    const task = rng.pick(splitPool(pool, o.taskSplit));
    const want = rng.int(o.minConstraints, o.maxConstraints);
    const chosen: ConstraintType[] = [];
    const constraints: Constraint[] = [];
    for (let draw = 0; draw < 30 && constraints.length < want; draw++) {
      const candidates = types.filter(
        (t) => (t.appliesTo?.(task) ?? true) && chosen.every((c) => compatible(c, t)),
      );
      if (candidates.length === 0) break;
      const type = rng.pick(candidates);
      const constraint = type.sample({
        rng,
        task,
        budgetWords: o.budgetWords,
        forbidTaskWords: o.forbidTaskWords,
      });
      if (!consistent([...constraints, constraint])) continue;
      chosen.push(type);
      constraints.push(constraint);
    }
    if (constraints.length < o.minConstraints) continue;
    return { index, task, pool, constraints, text: compose({ rng, task, constraints }) };
  }
  throw new ValidationError(
    `the constraint generator found no ${o.minConstraints}+ compatible constraints for prompt ${index}; widen \`types\` or lower minConstraints`,
  );
}

const splitPools = new Map<string, readonly BaseTask[]>();

/** A pool's tasks in the split (computed once per pool and split). */
function splitPool(pool: BaseTaskPool, split: TaskSplit): readonly BaseTask[] {
  const key = `${pool}/${split}`;
  let tasks = splitPools.get(key);
  if (tasks === undefined) {
    tasks = BASE_TASK_POOLS[pool].filter((t) => inTaskSplit(t.id, split));
    splitPools.set(key, tasks);
  }
  return tasks;
}

function compose(options: { rng: SeededRandom; task: BaseTask; constraints: readonly Constraint[] }): string {
  const { rng, task, constraints } = options;
  const texts = rng.shuffle(constraints.map((c) => c.text));
  // Some imported tasks end without punctuation; the constraints are separate sentences.
  const request = /[.!?:;"')\]]$/.test(task.text) ? task.text : `${task.text}.`;
  switch (rng.int(0, 2)) {
    case 0:
      return `${request} ${texts.join(' ')}`;
    case 1:
      return `${request}\n\n${texts.join('\n')}`;
    default:
      return `${request}\n\nRequirements:\n${texts.map((t) => `- ${t}`).join('\n')}`;
  }
}

function toRecord(options: {
  generated: GeneratedPrompt;
  options: ConstraintGeneratorOptions;
}): PromptRecord {
  const { generated: g, options: o } = options;
  const name = `s${o.seed}-${g.index}`;
  const seen = new Map<string, number>();
  const rubric: RubricFile = {
    id: `generated/constraints/${name}`,
    version: 1,
    title: `Generated constraint prompt ${name}: ${g.constraints.length} verifiable ${g.constraints.length === 1 ? 'constraint' : 'constraints'}`,
    scope: 'instance',
    tags: ['generated', 'instruction-following', 'verifier-only'],
    source: `constraint generator (seed ${o.seed}, prompt ${g.index}; base task ${g.task.id})`,
    prompt: g.text,
    include: [...o.include],
    aggregation: { floor: 0, interactions: [], minScoredFraction: 0.5 },
    criteria: g.constraints.map((c) => {
      const instruction = ifevalInstruction(c.id);
      const args = instruction.args.parse(c.kwargs);
      const base = c.id.replace(':', '.');
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      return {
        id: n === 1 ? base : `${base}-${n}`,
        description: instruction.describe(args as never),
        weight: 1,
        passFail: true,
        kind: 'score' as const,
        evaluator: { type: 'verifier' as const, name: `ifeval.${c.id}`, params: c.kwargs },
      };
    }),
  };
  return {
    id: `constraints/${name}`,
    prompt: g.text,
    tags: [
      'generated',
      'instruction-following',
      'verifier-only',
      `base:${g.pool}`,
      ...g.constraints.map((c) => `constraint:${c.id}`),
    ],
    rubric,
    source: rubric.source,
  };
}
