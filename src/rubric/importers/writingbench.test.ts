import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ValidationError } from '../../util/errors.ts';
import { loadCorpus, parseRubrics } from '../corpus.ts';
import { resolveRubric } from '../resolve.ts';
import { defaultVerifiers } from '../verifiers/index.ts';
import {
  readWritingBenchRows,
  renderWritingBenchSubset,
  slug,
  WRITINGBENCH_SUBSETS,
  writingBenchRubric,
} from './writingbench.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DATA = join(ROOT, '../shared/data/writingbench');
const length = WRITINGBENCH_SUBSETS.find((s) => s.name === 'length')!;

const band = (n: string) => ({
  '1-2': `${n} 1-2`,
  '3-4': `${n} 3-4`,
  '5-6': `${n} 5-6`,
  '7-8': `${n} 7-8`,
  '9-10': `${n} 9-10`,
});
const row = {
  index: 7,
  domain1: 'Academic & Engineering',
  domain2: 'Paper Outline',
  query: 'Write an outline.\n\nKeep it short: "three parts".',
  criteria: [
    { name: 'Structure_Clarity', criteria_description: 'Clear structure.', ...band('s') },
    { name: 'Length Control', criteria_description: 'Stays short.', ...band('l') },
    { name: '结构', criteria_description: 'Chinese-named criterion.', ...band('z') },
  ],
};

test('a query becomes an instance rubric with banded judge tiers and the defence include', () => {
  const r = writingBenchRubric({ subset: length, row, requirement: ['Length Control'] });
  assert.equal(r.id, 'writingbench/length/7');
  assert.equal(r.scope, 'instance');
  assert.deepEqual(r.tags, [
    'writingbench',
    'subset:length',
    'lang:en',
    'domain:academic-engineering',
    'subdomain:paper-outline',
  ]);
  assert.equal(r.prompt, row.query);
  assert.deepEqual(r.include, ['defence/reward-hacking']);
  assert.match(
    r.source ?? '',
    /X-PLUG\/WritingBench@ae2d517.*Apache-2\.0\); requirement criteria: length-control$/,
  );
  assert.deepEqual(
    r.criteria?.map((c) => c.id),
    ['structure-clarity', 'length-control', 'criterion-3'],
  );
  const first = r.criteria![0]!;
  assert.equal(first.description, 'Structure Clarity: Clear structure.');
  assert.equal(first.weight, 1);
  assert.deepEqual(
    first.tiers!.map((t) => [t.score, t.label, t.description]),
    [
      [2, '1-2', 's 1-2'],
      [4, '3-4', 's 3-4'],
      [6, '5-6', 's 5-6'],
      [8, '7-8', 's 7-8'],
      [10, '9-10', 's 9-10'],
    ],
  );
  assert.deepEqual(first.evaluator, { type: 'judge' });
});

test('Chinese queries are tagged lang:zh', () => {
  const zh = { ...row, query: '请写一篇关于区块链在供应链中应用的摘要，字数在300字以内 (about 300 words).' };
  assert.ok(writingBenchRubric({ subset: length, row: zh, requirement: [] }).tags?.includes('lang:zh'));
  assert.equal(slug('Politics & Law'), 'politics-law');
});

test('rendered rubrics parse back with the prompt intact and resolve', () => {
  const text = renderWritingBenchSubset({
    subset: length,
    rows: [row, { ...row, index: 3 }],
    requirementRows: [],
  });
  assert.match(
    text,
    /^# WritingBench length subset: 2 instance rubrics[\s\S]*Licence: Apache-2\.0[\s\S]*do not edit\.\n/,
  );
  const rubrics = parseRubrics({ file: 'wb.yaml', text });
  assert.deepEqual(
    rubrics.map((r) => r.value.id),
    ['writingbench/length/3', 'writingbench/length/7'],
  );
  assert.equal(rubrics[1]!.value.prompt, row.query);
  const corpus = loadCorpus([join(ROOT, 'rubrics/defence/reward-hacking.yaml')]);
  for (const r of rubrics) corpus.add(r);
  const resolved = resolveRubric({ corpus, id: 'writingbench/length/7', verifiers: defaultVerifiers() });
  assert.equal(resolved.criteria.length, 3 + 5);
  assert.equal(resolved.criteria[5]!.topScore, 10);
});

test('a bad row names the file, line and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-'));
  const file = join(dir, 'bad.jsonl');
  const broken = { ...row, criteria: [{ ...row.criteria[0], '5-6': undefined }] };
  writeFileSync(file, `${JSON.stringify(row)}\n${JSON.stringify(broken)}\n`);
  assert.throws(
    () => readWritingBenchRows(file),
    (e: unknown) =>
      e instanceof ValidationError && e.location.line === 2 && e.location.field === 'criteria[0].5-6',
  );
  writeFileSync(file, '{"index": 1,\n');
  assert.throws(() => readWritingBenchRows(file), /bad\.jsonl:1: expected a JSON object/);
});

test('the committed length subset matches the generator output and every rubric resolves', (t) => {
  if (!existsSync(join(DATA, length.file))) {
    t.skip(`WritingBench data not found at ${DATA}`);
    return;
  }
  const rows = readWritingBenchRows(join(DATA, length.file));
  const requirementRows = readWritingBenchRows(join(DATA, length.requirementFile));
  const expected = renderWritingBenchSubset({ subset: length, rows, requirementRows });
  const committed = readFileSync(join(ROOT, 'rubrics/writingbench/length.yaml'), 'utf8');
  assert.ok(
    committed === expected,
    'rubrics/writingbench/length.yaml differs from the generator output: regenerate it',
  );

  const corpus = loadCorpus([
    join(ROOT, 'rubrics/defence/reward-hacking.yaml'),
    join(ROOT, 'rubrics/writingbench/length.yaml'),
  ]);
  assert.equal(corpus.size, rows.length + 1);
  const verifiers = defaultVerifiers();
  for (const r of rows) {
    const resolved = resolveRubric({ corpus, id: `writingbench/length/${r.index}`, verifiers });
    assert.equal(resolved.prompt, r.query);
    assert.equal(resolved.criteria.filter((c) => c.evaluator.type === 'judge').length, 5);
  }
});
