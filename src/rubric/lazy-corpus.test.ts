import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCorpus } from './corpus.ts';
import { BUNDLED_RUBRICS_DIR } from './default-corpus.ts';
import { LazyRubricCorpus } from './lazy-corpus.ts';

test('the lazy corpus finds the same rubrics, at the same lines, as a full load', () => {
  const full = loadCorpus([BUNDLED_RUBRICS_DIR]);
  const lazy = new LazyRubricCorpus([BUNDLED_RUBRICS_DIR]);
  assert.deepEqual(lazy.ids(), full.ids());
  const ids = full.ids();
  // Every hand-written rubric and an even sample of the generated ones.
  const sample = ids.filter((id, i) => !/^(writingbench|ifeval)\//.test(id) || i % 97 === 0);
  for (const id of sample) {
    const a = lazy.get(id)!;
    const b = full.get(id)!;
    assert.deepEqual(a.value, b.value, id);
    assert.equal(a.file, b.file, id);
    assert.equal(a.line, b.line, id);
  }
});

test('errors inside a lazily parsed document keep the file line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-corpus-'));
  const file = join(dir, 'two.yaml');
  const criterion = '  - { id: c, description: d, weight: 1, passFail: true, evaluator: { type: judge } }';
  writeFileSync(
    file,
    [
      '# two rubrics',
      'id: good',
      'version: 1',
      'title: good',
      'scope: task',
      'criteria:',
      criterion,
      '---',
      'id: bad',
      'version: 1',
      'title: bad',
      'scope: task',
      'criteria:',
      '  - { id: c, description: d, weight: heavy, passFail: true, evaluator: { type: judge } }',
      '',
    ].join('\n'),
  );
  const lazy = new LazyRubricCorpus([dir]);
  assert.deepEqual(lazy.ids(), ['bad', 'good']);
  assert.equal(lazy.get('good')?.value.title, 'good');
  assert.throws(() => lazy.get('bad'), /two\.yaml:14.*criteria\[0\]\.weight/);
});

test('a document whose id is not a top-level line is found by the fallback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-corpus-'));
  writeFileSync(
    join(dir, 'flow.yaml'),
    '{ id: flowed, version: 1, title: t, scope: task, criteria: [{ id: c, description: d, weight: 1, passFail: true, evaluator: { type: judge } }] }\n',
  );
  const lazy = new LazyRubricCorpus([dir]);
  assert.equal(lazy.size, 0);
  assert.equal(lazy.get('flowed')?.value.id, 'flowed');
  assert.equal(lazy.get('missing'), undefined);
});

test('a duplicate id is an error naming both places', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-corpus-'));
  const doc = 'id: twice\nversion: 1\ntitle: t\nscope: task\n';
  writeFileSync(join(dir, 'a.yaml'), doc);
  writeFileSync(join(dir, 'b.yaml'), doc);
  assert.throws(() => new LazyRubricCorpus([dir]), /b\.yaml:1.*already defined in .*a\.yaml:1/);
});

test('an empty rubric file (or one of comments only) is an error naming it, as in a full load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-corpus-'));
  writeFileSync(join(dir, 'a.yaml'), 'id: fine\nversion: 1\ntitle: t\nscope: task\n');
  writeFileSync(join(dir, 'empty.yaml'), '# nothing here yet\n\n---\n');
  assert.throws(
    () => new LazyRubricCorpus([dir]),
    (err: Error) => /empty\.yaml:1/.test(err.message) && /at least one rubric document/.test(err.message),
  );
});
