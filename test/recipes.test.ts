import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { planRun } from '../src/client/run-plan.ts';
import { validateConfig } from '../src/cli/commands/train.ts';
import type { LocatedPrompt } from '../src/data/prompt-record.ts';
import { BASE_TASK_POOLS } from '../src/data/generator/generate.ts';
import { openTaskRecords } from '../src/data/generator/open-tasks.ts';

const ROOT = resolve(import.meta.dirname, '..');
const IFEVAL = resolve(ROOT, 'data/ifeval/input_data.jsonl');
const STYLE_SUITE = resolve(ROOT, 'data/style/arena-hard-v2.0-creative-64.jsonl');
const OPEN_TASKS = resolve(ROOT, 'data/open-ended/open-tasks-train.jsonl');
const RECIPES = ['configs/recipes/ifeval-stage1.yaml', 'configs/recipes/two-stage.yaml'];
const TASK_TEXT = new Map(Object.values(BASE_TASK_POOLS).flatMap((pool) => pool.map((t) => [t.id, t.text])));

/** The generator records each prompt's base task in its provenance. */
function baseTask(prompt: LocatedPrompt): string {
  const id = /base task ([^)\s]+)\)$/.exec(prompt.record.source ?? '')?.[1];
  assert.ok(id !== undefined && TASK_TEXT.has(id), `prompt ${prompt.record.id} names no known base task`);
  return id;
}

/** Lower-case word n-grams of a text. */
function ngrams(text: string, n: number): Set<string> {
  const words = text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
  const out = new Set<string>();
  for (let i = 0; i + n <= words.length; i++) out.add(words.slice(i, i + n).join(' '));
  return out;
}

function prepared(config: string) {
  const { prepared: run } = validateConfig(resolve(ROOT, config));
  const train = [...run.training.values()].flat().map((p) => p.prompt);
  const evaluation = run.evaluation.map((p) => p.prompt);
  return { train, evaluation, run };
}

/** The `prompt` of each line of a JSONL file. */
function jsonlPrompts(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { prompt: string }).prompt);
}

describe('shipped run configurations', () => {
  for (const config of ['configs/quickstart.yaml', ...RECIPES]) {
    it(`${config}: held-out prompts share no prompt and no base task with training prompts`, () => {
      const { train, evaluation } = prepared(config);
      assert.ok(evaluation.length >= 32, `${evaluation.length} held-out prompts`);
      const trainTexts = new Set(train.map((p) => p.record.prompt));
      const trainTasks = new Set(train.map(baseTask));
      for (const p of evaluation) {
        assert.ok(
          !trainTexts.has(p.record.prompt),
          `held-out prompt ${p.record.id} is also a training prompt`,
        );
        assert.ok(
          !trainTasks.has(baseTask(p)),
          `held-out prompt ${p.record.id} shares base task ${baseTask(p)}`,
        );
      }
    });
  }

  for (const config of RECIPES) {
    it(`${config}: no training prompt shares a base task (a word 8-gram) with any IFEval prompt or style-suite prompt`, () => {
      const ifeval = jsonlPrompts(IFEVAL);
      assert.equal(ifeval.length, 541);
      const style = jsonlPrompts(STYLE_SUITE);
      assert.equal(style.length, 64);
      const heldOutGrams = new Set([...ifeval, ...style].flatMap((p) => [...ngrams(p, 8)]));
      const heldOutTexts = new Set([...ifeval, ...style]);
      const { train } = prepared(config);
      const tasks = new Set(train.map(baseTask));
      assert.ok(tasks.size >= 40, `${tasks.size} base tasks`);
      for (const id of tasks) {
        const shared = [...ngrams(TASK_TEXT.get(id)!, 8)].filter((g) => heldOutGrams.has(g));
        assert.deepEqual(shared, [], `base task ${id} shares word 8-grams with IFEval or the style suite`);
      }
      for (const p of train) {
        assert.ok(!heldOutTexts.has(p.record.prompt ?? ''), `training prompt ${p.record.id} is held out`);
      }
    });
  }

  it('configs/recipes/two-stage.yaml: constraints first (ending early on the held-out reward), then open-ended prompts under the human-tone and defence rubrics, no judge', () => {
    const { run } = prepared('configs/recipes/two-stage.yaml');
    const { stages, config } = run.loaded;
    assert.deepEqual(
      stages.map((s) => [s.name, s.firstStep, s.steps, s.sources]),
      [
        ['constraints', 1, 48, ['constraints']],
        ['open-ended', 49, 32, ['open-ended', 'constraints-kept']],
      ],
    );
    assert.deepEqual(stages[0]!.advanceWhen, { metric: 'eval/reward/mean', atLeast: 0.55, minSteps: 24 });
    // Stage 1 is trial s1b's settings.
    const s1b = validateConfig(resolve(ROOT, 'configs/experiments/stage1-search/s1b.yaml')).prepared.loaded;
    assert.deepEqual(stages[0]!.rl, s1b.config.rl);
    assert.deepEqual(config.lora, s1b.config.lora);
    assert.equal(config.prompts.balanceBy, s1b.config.prompts.balanceBy);
    // No judge: every criterion of every rubric a prompt uses is a programmatic check.
    assert.equal(config.judge, undefined);
    for (const rubric of run.rubrics.values()) {
      for (const c of rubric.criteria) assert.equal(c.evaluator.type, 'verifier', `${rubric.id} ${c.id}`);
    }
    const open = run.training.get('open-ended')!.filter((e) => e.prompt.record.tags.includes('open-ended'));
    assert.equal(open.length, 53);
    for (const { prompt, rubrics } of open) {
      assert.deepEqual(
        rubrics.map((r) => r.rubricId).sort(),
        ['defence/placeholders', 'defence/reward-hacking', 'defence/substance', 'style/human-tone'],
        prompt.record.id,
      );
    }
    // The constraint prompts keep their own rubric (with the vetoes) and get the human tone too.
    const kept = run.training.get('open-ended')!.filter((e) => !e.prompt.record.tags.includes('open-ended'));
    assert.equal(kept.length, 64);
    for (const { rubrics } of kept) {
      assert.deepEqual(
        rubrics.map((r) => [r.from === 'instance' ? 'instance' : r.rubricId, r.weight]),
        [
          ['instance', 1],
          ['style/human-tone', 1],
        ],
      );
    }
  });

  it('configs/recipes/two-stage.yaml measures its targets itself: IFEval, style and perplexity at its last evaluation', () => {
    const { run } = prepared('configs/recipes/two-stage.yaml');
    const plan = planRun({ prepared: run });
    assert.deepEqual(plan.evaluationSuites, ['ifeval', 'style', 'perplexity']);
    assert.deepEqual(plan.evaluationSuitesAt, { ifeval: 'last', style: 'last', perplexity: 'last' });
  });

  it("data/open-ended/open-tasks-train.jsonl: the generator's open-ended base tasks of the train split, as written", () => {
    const expected = openTaskRecords('train')
      .map((r) => `${JSON.stringify(r)}\n`)
      .join('');
    assert.equal(readFileSync(OPEN_TASKS, 'utf8'), expected);
    const heldOut = new Set(openTaskRecords('held-out').map((r) => r.prompt));
    for (const prompt of jsonlPrompts(OPEN_TASKS)) assert.ok(!heldOut.has(prompt), prompt);
  });
});
