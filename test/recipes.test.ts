import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { validateConfig } from '../src/cli/commands/train.ts';
import type { LocatedPrompt } from '../src/data/prompt-record.ts';
import { BASE_TASK_POOLS } from '../src/data/generator/generate.ts';

const ROOT = resolve(import.meta.dirname, '..');
const IFEVAL = resolve(ROOT, 'data/ifeval/input_data.jsonl');
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
  return { train, evaluation };
}

describe('shipped run configurations', () => {
  for (const config of ['configs/quickstart.yaml', 'configs/recipes/ifeval-stage1.yaml']) {
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

  it('configs/recipes/ifeval-stage1.yaml: no training prompt shares a base task (a word 8-gram) with any IFEval prompt', () => {
    const ifeval = readFileSync(IFEVAL, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { prompt: string }).prompt);
    assert.equal(ifeval.length, 541);
    const ifevalGrams = new Set(ifeval.flatMap((p) => [...ngrams(p, 8)]));
    const { train } = prepared('configs/recipes/ifeval-stage1.yaml');
    const tasks = new Set(train.map(baseTask));
    assert.ok(tasks.size >= 40, `${tasks.size} base tasks`);
    for (const id of tasks) {
      const shared = [...ngrams(TASK_TEXT.get(id)!, 8)].filter((g) => ifevalGrams.has(g));
      assert.deepEqual(shared, [], `base task ${id} shares word 8-grams with IFEval`);
    }
  });
});
