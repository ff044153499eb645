import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUNDLED_RUBRICS_DIR } from '../rubric/default-corpus.ts';
import { LazyRubricCorpus } from '../rubric/lazy-corpus.ts';
import { resolveRubric } from '../rubric/resolve.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import { readPromptFile } from './jsonl-source.ts';
import { loadPromptSet } from './prompt-set.ts';

const DATA = resolve(import.meta.dirname, '../../../shared/data');
const dir = mkdtempSync(join(tmpdir(), 'anchorage-prompts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const base = new LazyRubricCorpus([BUNDLED_RUBRICS_DIR]);

function file(name: string, lines: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return path;
}

const inlineRubric = {
  id: 'local/haiku-1',
  version: 1,
  title: 'Haiku without commas',
  scope: 'instance',
  include: ['defence/reward-hacking'],
  criteria: [
    {
      id: 'no-comma',
      description: 'No commas.',
      weight: 1,
      passFail: true,
      evaluator: { type: 'verifier', name: 'ifeval.punctuation:no_comma' },
    },
  ],
};

describe('prompt files and prompt sets', () => {
  it('reads prompt records with inline rubrics, rubric ids, messages, and extra tags', () => {
    const path = file('ok.jsonl', [
      { id: 'p1', prompt: 'Write a haiku.', rubric: inlineRubric },
      '',
      {
        id: 'p2',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi?' },
        ],
        rubricId: 'style/concision',
      },
    ]);
    const prompts = readPromptFile({ file: path, tags: ['mine'] });
    assert.deepEqual(
      prompts.map((p) => [p.record.id, p.line, p.record.tags]),
      [
        ['p1', 1, ['mine']],
        ['p2', 3, ['mine']],
      ],
    );
    const set = loadPromptSet({
      sources: [{ type: 'jsonl', file: path, tags: [], role: 'train' }],
      baseCorpus: base,
    });
    const resolved = resolveRubric({
      corpus: set.corpus,
      id: 'local/haiku-1',
      verifiers: defaultVerifiers(),
    });
    assert.deepEqual(resolved.sources, ['local/haiku-1', 'defence/reward-hacking']);
    assert.equal(set.corpus.get('style/concision')?.value.id, 'style/concision');
    assert.equal(set.corpus.has('local/haiku-1'), true);
    assert.equal(set.corpus.has('style/concision'), true);
    assert.equal(set.corpus.has('style/none-such'), false);
    assert.equal(set.corpus.findLayer('local/haiku-1'), 0);
    assert.equal(set.corpus.findLayer('style/concision'), 1);
  });

  it('names file, line and field for bad records', () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { id: 'p', prompt: 'x', messages: [{ role: 'user', content: 'y' }] },
        /bad\.jsonl:1, field prompt: either `prompt` or `messages`/,
      ],
      [
        {
          id: 'p',
          messages: [
            { role: 'user', content: 'y' },
            { role: 'assistant', content: 'z' },
          ],
        },
        /field messages\[1\]\.role: the last message from the user/,
      ],
      [
        { id: 'p', prompt: 'x', rubric: { ...inlineRubric, scope: 'task' } },
        /field rubric\.scope: an inline rubric of scope instance/,
      ],
      [
        { id: 'p', prompt: 'x', rubricId: 'a/b', rubric: inlineRubric },
        /field rubric: either `rubricId` or an inline `rubric`/,
      ],
      [{ id: 'has space', prompt: 'x' }, /field id: .*letters, digits/],
      [{ id: 'p', prompt: 'x', colour: 'red' }, /field \(line\): Unrecognized key: "colour"/],
    ];
    for (const [record, pattern] of cases) {
      const path = file('bad.jsonl', [record]);
      assert.throws(() => readPromptFile({ file: path }), pattern);
    }
  });

  it('rejects duplicate ids, eval-only prompts in training, shadowed and missing rubrics', () => {
    const a = file('a.jsonl', [{ id: 'same', prompt: 'x' }]);
    const b = file('b.jsonl', ['', { id: 'same', prompt: 'y' }]);
    assert.throws(
      () =>
        loadPromptSet({
          sources: [
            { type: 'jsonl', file: a, tags: [], role: 'train' },
            { type: 'jsonl', name: 'second', file: b, tags: [], role: 'train' },
          ],
          baseCorpus: base,
        }),
      /b\.jsonl:2, field id: prompt id 'same' is already used by .*a\.jsonl:1 \(source jsonl\)/,
    );
    const evalOnly = file('eval-only.jsonl', [{ id: 'q', prompt: 'x', tags: ['eval-only'] }]);
    assert.throws(
      () =>
        loadPromptSet({
          sources: [{ type: 'jsonl', file: evalOnly, tags: [], role: 'both' }],
          baseCorpus: base,
          where: () => ({ file: 'run.yaml', line: 12, field: 'prompts.sources[0]' }),
        }),
      /run\.yaml:12, field prompts\.sources\[0\]: source 'jsonl' has role both, but its prompt 'q' .* is tagged eval-only: expected role eval/,
    );
    const shadow = file('shadow.jsonl', [
      { id: 'p', prompt: 'x', rubric: { ...inlineRubric, id: 'style/concision' } },
    ]);
    assert.throws(
      () =>
        loadPromptSet({
          sources: [{ type: 'jsonl', file: shadow, tags: [], role: 'train' }],
          baseCorpus: base,
        }),
      /shadow\.jsonl:1, field rubric\.id: inline rubric id 'style\/concision' is already a rubric of the corpus/,
    );
    const missing = file('missing.jsonl', [{ id: 'p', prompt: 'x', rubricId: 'no/such-rubric' }]);
    assert.throws(
      () =>
        loadPromptSet({
          sources: [{ type: 'jsonl', file: missing, tags: [], role: 'train' }],
          baseCorpus: base,
        }),
      /missing\.jsonl:1, field rubricId: rubricId 'no\/such-rubric' names no rubric of the corpus/,
    );
  });

  it('loads the benchmark importers and the generator together, with limits and roles', () => {
    const set = loadPromptSet({
      sources: [
        { type: 'ifeval', file: resolve(DATA, 'ifeval/input_data.jsonl'), role: 'eval', limit: 20 },
        {
          type: 'arena-hard',
          file: resolve(DATA, 'arena_hard/arena-hard-v2.0_question.jsonl'),
          categories: ['creative_writing'],
          role: 'train',
        },
        ConstraintSource,
      ],
      baseCorpus: base,
    });
    assert.equal(set.bySource.get('ifeval')?.length, 20);
    assert.equal(set.bySource.get('arena-hard')?.length, 250);
    assert.equal(set.bySource.get('constraints')?.length, 16);
    assert.equal(set.roles.get('ifeval'), 'eval');
    assert.equal(set.prompts.length, 286);
  });
});

const ConstraintSource = {
  type: 'constraint-generator' as const,
  name: 'constraints',
  count: 16,
  seed: 0,
  minConstraints: 1,
  maxConstraints: 3,
  baseTasks: ['builtin' as const],
  taskSplit: 'all' as const,
  budgetWords: 100,
  forbidTaskWords: 0,
  include: ['defence/reward-hacking'],
  role: 'train' as const,
};
