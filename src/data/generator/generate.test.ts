import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { BUNDLED_RUBRICS_DIR } from '../../rubric/default-corpus.ts';
import { LazyRubricCorpus } from '../../rubric/lazy-corpus.ts';
import { resolveRubric } from '../../rubric/resolve.ts';
import { scoreResponse } from '../../rubric/score.ts';
import { IFEVAL_INSTRUCTIONS } from '../../rubric/verifiers/ifeval/index.ts';
import { defaultVerifiers } from '../../rubric/verifiers/index.ts';
import { promptRubricCorpus } from '../prompt-set.ts';
import { ARENA_HARD_CREATIVE_TASKS } from './arena-hard-creative.ts';
import { BUILTIN_TASKS } from './base-tasks.ts';
import { compatible, consistent } from './constraint-type.ts';
import { taskWords } from './content-constraints.ts';
import {
  CONSTRAINT_TYPES,
  ConstraintGeneratorOptions,
  generateConstraintPrompts,
  generateOne,
} from './generate.ts';

const DATA = resolve(import.meta.dirname, '../../../../shared/data');
const ifevalPrompts = readFileSync(resolve(DATA, 'ifeval/input_data.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { prompt: string }).prompt);
const typeById = new Map(CONSTRAINT_TYPES.map((t) => [t.id, t]));

describe('constraint prompt generator', () => {
  it('is reproducible: same seed, same prompts; prompt i does not depend on the count', () => {
    const a = generateConstraintPrompts({ count: 40, seed: 7 });
    const b = generateConstraintPrompts({ count: 40, seed: 7 });
    assert.deepEqual(a, b);
    const shorter = generateConstraintPrompts({ count: 10, seed: 7 });
    assert.deepEqual(
      shorter.map((p) => p.record),
      a.slice(0, 10).map((p) => p.record),
    );
    const other = generateConstraintPrompts({ count: 40, seed: 8 });
    assert.ok(
      other.filter((p, i) => p.record.prompt === a[i]!.record.prompt).length < 4,
      'another seed gives other prompts',
    );
    assert.equal(new Set(a.map((p) => p.record.id)).size, 40);
    assert.equal(a[3]!.record.id, 'constraints/s7-3');
    assert.equal(a[3]!.record.rubric?.id, 'generated/constraints/s7-3');
  });

  it('never emits an IFEval prompt, nor a prompt containing one', () => {
    assert.equal(ifevalPrompts.length, 541);
    const generated = [0, 1, 2, 3].flatMap((seed) => generateConstraintPrompts({ count: 750, seed }));
    const texts = new Set(generated.map((p) => p.record.prompt!));
    const tasks = [...BUILTIN_TASKS, ...ARENA_HARD_CREATIVE_TASKS].map((t) => t.text);
    for (const ifeval of ifevalPrompts) {
      const core = ifeval.trim();
      for (const text of texts)
        assert.ok(!text.includes(core), `generated prompt contains IFEval prompt: ${core.slice(0, 60)}`);
      for (const task of tasks)
        assert.ok(!task.includes(core) && !core.includes(task), `base task overlaps IFEval: ${task}`);
    }
  });

  it('combines compatible constraints only, and none that forbids what another requires', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 3000; index++) {
      const g = generateOne({ options: ConstraintGeneratorOptions.parse({ seed: 11 }), index });
      const ids = g.constraints.map((c) => c.id);
      for (const id of ids) seen.add(id);
      assert.ok(ids.length >= 1 && ids.length <= 3);
      for (let i = 0; i < ids.length; i++) {
        for (let j = i + 1; j < ids.length; j++) {
          assert.ok(compatible(typeById.get(ids[i]!)!, typeById.get(ids[j]!)!), `${ids[i]} + ${ids[j]}`);
        }
      }
      assert.ok(consistent(g.constraints), ids.join(' + '));
      const has = (id: string) => ids.includes(id);
      assert.ok(!(has('change_case:english_lowercase') && has('change_case:english_capital')));
      assert.ok(!(has('change_case:english_lowercase') && has('change_case:capital_word_frequency')));
      assert.ok(!(has('detectable_format:json_format') && has('detectable_format:number_bullet_lists')));
      assert.ok(!(has('language:response_language') && has('keywords:existence')));
      if (has('detectable_format:constrained_response')) assert.equal(g.task.kind, 'question');
      const forbidden = g.constraints.find((c) => c.id === 'keywords:forbidden_words')?.kwargs
        .forbidden_words as string[] | undefined;
      const keywords = g.constraints.find((c) => c.id === 'keywords:existence')?.kwargs.keywords as
        | string[]
        | undefined;
      if (forbidden !== undefined && keywords !== undefined)
        assert.ok(!keywords.some((k) => forbidden.includes(k)));
    }
    assert.deepEqual(
      [...seen].sort(),
      IFEVAL_INSTRUCTIONS.map((i) => i.id).sort(),
      'every IFEval instruction type is drawn',
    );
  });

  it('phrases each type in several ways', () => {
    // Strip arguments (quoted words, numbers, markers) to compare the templates themselves.
    const templates = new Map<string, Set<string>>();
    for (let index = 0; index < 3000; index++) {
      for (const c of generateOne({ options: ConstraintGeneratorOptions.parse({ seed: 5 }), index })
        .constraints) {
        const shape = c.text
          .replace(/"[^"]*"/g, 'Q')
          .replace(/\d+/g, 'N')
          .replace(/(?<=\s)[A-Z][A-Za-z.]*/g, 'W'); // language names, markers; not the first word
        if (!templates.has(c.id)) templates.set(c.id, new Set());
        templates.get(c.id)!.add(shape.split(' ').slice(0, 3).join(' '));
      }
    }
    for (const [id, shapes] of templates) assert.ok(shapes.size >= 2, `${id}: ${[...shapes].join(' | ')}`);
  });

  it('attaches instance rubrics that resolve over the bundled corpus and score real responses', async () => {
    const verifiers = defaultVerifiers();
    const base = new LazyRubricCorpus([BUNDLED_RUBRICS_DIR]);
    const prompts = generateConstraintPrompts({ count: 300, seed: 3 });
    const corpus = promptRubricCorpus({ prompts, baseCorpus: base });
    for (const p of prompts) {
      const rubric = resolveRubric({ corpus, id: p.record.rubric!.id, verifiers });
      const own = rubric.criteria.filter((c) => c.fromRubric === rubric.id);
      assert.equal(own.length, p.record.tags.filter((t) => t.startsWith('constraint:')).length);
      for (const c of own) assert.match(c.evaluator.type === 'verifier' ? c.evaluator.name : '', /^ifeval\./);
      assert.deepEqual(rubric.sources, [rubric.id, 'defence/reward-hacking']);
    }

    const [noComma] = generateConstraintPrompts({
      count: 1,
      seed: 2,
      types: ['punctuation:no_comma'],
      maxConstraints: 1,
    });
    const single = promptRubricCorpus({ prompts: [noComma!], baseCorpus: base });
    const rubric = resolveRubric({ corpus: single, id: noComma!.record.rubric!.id, verifiers });
    const prompt = noComma!.record.prompt!;
    const good = await scoreResponse({
      rubric,
      prompt,
      response: 'A plain answer with no pause marks at all.',
      verifiers,
    });
    const bad = await scoreResponse({
      rubric,
      prompt,
      response: 'Well, here it is, with commas.',
      verifiers,
    });
    assert.ok(good.reward.status === 'scored' && bad.reward.status === 'scored');
    assert.equal(good.reward.value, 1);
    // Only the small-weight defence rules pass: 4 x 0.05 / (1 + 4 x 0.05).
    const defence = rubric.criteria.filter((c) => c.fromRubric === 'defence/reward-hacking');
    const w = defence.reduce((sum, c) => sum + c.weight, 0);
    assert.ok(Math.abs(bad.reward.value - w / (1 + w)) < 1e-12, `${bad.reward.value}`);
  });

  it('copies the Arena-Hard creative-writing prompts verbatim', () => {
    const rows = new Map(
      readFileSync(resolve(DATA, 'arena_hard/arena-hard-v2.0_question.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { uid: string; category: string; prompt: string })
        .map((r) => [r.uid, r]),
    );
    assert.ok(ARENA_HARD_CREATIVE_TASKS.length >= 20);
    for (const task of ARENA_HARD_CREATIVE_TASKS) {
      const row = rows.get(task.id.replace('arena-hard:', ''));
      assert.equal(row?.category, 'creative_writing', task.id);
      assert.equal(row?.prompt.trim(), task.text);
    }
    assert.ok(BUILTIN_TASKS.length >= 60);
    assert.equal(new Set(BUILTIN_TASKS.map((t) => t.id)).size, BUILTIN_TASKS.length);
  });

  it('splits every base-task pool: train and held-out sources share no base task', () => {
    const tasksOf = (taskSplit: 'train' | 'held-out', seed: number) => {
      const options = ConstraintGeneratorOptions.parse({ seed, taskSplit, count: 400 });
      return new Set(
        Array.from({ length: 400 }, (_, index) => generateOne({ options, index })).map(
          (g) => `${g.pool}:${g.task.id}`,
        ),
      );
    };
    const train = tasksOf('train', 1);
    const heldOut = tasksOf('held-out', 2);
    assert.deepEqual(
      [...heldOut].filter((t) => train.has(t)),
      [],
    );
    const all = BUILTIN_TASKS.length + ARENA_HARD_CREATIVE_TASKS.length;
    // Every task of a pool lands in one part, and 400 draws reach all of them.
    assert.equal(train.size + heldOut.size, all);
    assert.ok(heldOut.size >= all / 8 && heldOut.size <= all / 2, `held-out part ${heldOut.size} of ${all}`);
  });

  it('rejects bad options with the field named', () => {
    assert.throws(
      () => generateConstraintPrompts({ minConstraints: 3, maxConstraints: 2 }),
      /maxConstraints at least minConstraints/,
    );
    assert.throws(() => generateConstraintPrompts({ types: ['keywords:nonsense' as never] }), /types/);
  });
});

describe('forbidTaskWords', () => {
  const FORBIDDEN = 'keywords:forbidden_words';
  const options = { count: 200, seed: 5, types: [FORBIDDEN, 'detectable_format:title'], maxConstraints: 1 };

  it('takes topic words of the task, not request words', () => {
    assert.deepEqual(taskWords('Write a poem about the sound of rain on a tin roof.'), [
      'poem',
      'sound',
      'rain',
      'roof',
    ]);
  });

  it("forbids words of the prompt's own task; prompts without the constraint stay as they were", () => {
    const plain = generateConstraintPrompts(options);
    const own = generateConstraintPrompts({ ...options, forbidTaskWords: 1 });
    let forbidding = 0;
    for (const [i, p] of own.entries()) {
      const g = generateOne({
        options: ConstraintGeneratorOptions.parse({ ...options, forbidTaskWords: 1 }),
        index: i,
      });
      const c = g.constraints[0]!;
      if (c.id !== FORBIDDEN) {
        assert.deepEqual(p.record, plain[i]!.record, `prompt ${i} has no forbidden words and is unchanged`);
        continue;
      }
      const words = c.kwargs.forbidden_words as string[];
      const topic = taskWords(g.task.text);
      if (topic.length < 2) continue; // too few topic words: the list is used
      forbidding++;
      for (const w of words) assert.ok(topic.includes(w), `${w} is a word of "${g.task.text}"`);
      assert.ok(p.record.prompt?.includes(`"${words[0]}"`));
    }
    assert.ok(forbidding > 50, `${forbidding} prompts forbid their own task's words`);
    // 0 (the default) draws nothing extra: the prompts are the ones generated before the option.
    assert.deepEqual(generateConstraintPrompts({ ...options, forbidTaskWords: 0 }), plain);
  });
});
