import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ValidationError } from '../util/errors.ts';
import { listRubricFiles, loadCorpus, parseRubrics } from './corpus.ts';

/** Asserts that `fn` throws a ValidationError at file:line naming `field`, with a message matching. */
function throwsAt(
  fn: () => unknown,
  where: { file: string; line: number; field?: string; message: RegExp },
): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ValidationError, String(err));
    assert.equal(err.location.file, where.file, err.message);
    assert.equal(err.location.line, where.line, err.message);
    if (where.field !== undefined) assert.equal(err.location.field, where.field, err.message);
    assert.match(err.message, where.message);
    return true;
  });
}

const criterion = (extra: string) => `criteria:
  - id: c1
    description: clear
    weight: 1
${extra}`;

const header = 'id: demo\nversion: 1\ntitle: Demo\nscope: task\n';

test('a YAML syntax error names file, line and column', () => {
  throwsAt(
    () => parseRubrics({ file: 'bad.yaml', text: header.replace('title: Demo', 'title: Demo: again') }),
    {
      file: 'bad.yaml',
      line: 3,
      message: /^bad\.yaml:3:\d+: invalid YAML: Nested mappings are not allowed/,
    },
  );
});

test('a wrong type names the field and its line', () => {
  const text = `${header}${criterion('    passFail: true\n    evaluator: { type: judge }\n').replace('weight: 1', 'weight: heavy')}`;
  throwsAt(() => parseRubrics({ file: 'r.yaml', text }), {
    file: 'r.yaml',
    line: 8,
    field: 'criteria[0].weight',
    message: /r\.yaml:8, field criteria\[0\]\.weight: expected number, received string/,
  });
});

test('an unknown key is reported at the key, with the allowed keys', () => {
  const text = `${header}${criterion('    passFail: true\n    wieght: 2\n    evaluator: { type: judge }\n')}`;
  throwsAt(() => parseRubrics({ file: 'r.yaml', text }), {
    file: 'r.yaml',
    line: 10,
    field: 'criteria[0].wieght',
    message: /unknown key 'wieght'; expected one of: id, description, weight, tiers, passFail, kind/,
  });
  throwsAt(
    () =>
      parseRubrics({
        file: 'r.yaml',
        text: `${header}colour: red\n${criterion('    passFail: true\n    evaluator: { type: judge }\n')}`,
      }),
    {
      file: 'r.yaml',
      line: 5,
      field: 'colour',
      message: /unknown key 'colour'; expected one of: id, version, title, scope/,
    },
  );
  const params = `${header}${criterion('    passFail: true\n    evaluator:\n      type: verifier\n      name: x\n      paramz: {}\n')}`;
  throwsAt(() => parseRubrics({ file: 'r.yaml', text: params }), {
    file: 'r.yaml',
    line: 13,
    field: 'criteria[0].evaluator.paramz',
    message: /unknown key 'paramz'; expected one of: type, name, params/,
  });
});

test('tiers that do not increase are reported at the offending tier', () => {
  const tiers = `    tiers:
      - { score: 0, label: poor }
      - { score: 5, label: good }
      - { score: 5, label: great }
    evaluator: { type: judge }
`;
  throwsAt(() => parseRubrics({ file: 'r.yaml', text: `${header}${criterion(tiers)}` }), {
    file: 'r.yaml',
    line: 12,
    field: 'criteria[0].tiers[2].score',
    message: /expected tier scores strictly increasing \(tier 1 has 5\)/,
  });
});

test('a veto without a threshold is reported on its criterion', () => {
  const text = `${header}${criterion('    passFail: true\n    kind: veto\n    evaluator: { type: judge }\n')}`;
  throwsAt(() => parseRubrics({ file: 'r.yaml', text }), {
    file: 'r.yaml',
    line: 6,
    field: 'criteria[0].vetoThreshold',
    message: /expected a threshold in \[0, 1\] for a veto criterion/,
  });
});

test('a second document is located by its own lines', () => {
  const good = `${header}${criterion('    passFail: true\n    evaluator: { type: judge }\n')}`;
  const bad = good.replace('id: demo', 'id: other').replace('weight: 1', 'weight: 0');
  throwsAt(() => parseRubrics({ file: 'm.yaml', text: `${good}---\n${bad}` }), {
    file: 'm.yaml',
    line: 19,
    field: 'criteria[0].weight',
    message: /expected a non-zero number/,
  });
});

test('with onError every issue of every document is reported and good documents are kept', () => {
  const good = `${header}${criterion('    passFail: true\n    evaluator: { type: judge }\n')}`;
  const bad = `id: Bad Id\nversion: 0\ntitle: x\nscope: task\n`;
  const errors: ValidationError[] = [];
  const rubrics = parseRubrics({
    file: 'm.yaml',
    text: `${bad}---\n${good}---\n[unclosed\n`,
    onError: (e) => errors.push(e),
  });
  assert.deepEqual(
    rubrics.map((r) => r.value.id),
    ['demo'],
  );
  assert.deepEqual(
    errors.map((e) => `${e.location.line} ${e.location.field ?? ''}`),
    ['1 id', '2 version', '18 '],
  );
});

test('duplicate rubric ids across files name both places', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
  const text = `${header}${criterion('    passFail: true\n    evaluator: { type: judge }\n')}`;
  writeFileSync(join(dir, 'a.yaml'), text);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'b.yml'), `# comment\n${text}`);
  writeFileSync(join(dir, 'notes.md'), 'not a rubric');
  assert.deepEqual(
    listRubricFiles([dir]).map((f) => f.slice(dir.length + 1)),
    ['a.yaml', 'sub/b.yml'],
  );
  throwsAt(() => loadCorpus([dir]), {
    file: relative(process.cwd(), join(dir, 'sub', 'b.yml')),
    line: 2,
    field: 'id',
    message: /rubric id 'demo' is already defined at .*a\.yaml:1/,
  });
  const errors: ValidationError[] = [];
  const corpus = loadCorpus([dir, join(dir, 'missing')], { onError: (e) => errors.push(e) });
  assert.equal(corpus.size, 1);
  assert.equal(errors.length, 2);
  assert.match(errors[0]!.message, /no such file or folder/);
  assert.match(errors[1]!.message, /already defined/);
});
