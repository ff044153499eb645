import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../util/errors.ts';
import { parseRubrics, RubricCorpus } from './corpus.ts';
import { resolveAll, resolveRubric } from './resolve.ts';
import { defaultVerifiers } from './verifiers/index.ts';

const verifiers = defaultVerifiers();

/** A corpus from YAML files given as name -> text. */
function corpusOf(files: Record<string, string>): RubricCorpus {
  const corpus = new RubricCorpus();
  for (const [file, text] of Object.entries(files))
    for (const r of parseRubrics({ file, text })) corpus.add(r);
  return corpus;
}

function rubric(options: { id: string; include?: string[]; criteria: string; extra?: string }): string {
  const include = options.include === undefined ? '' : `include: [${options.include.join(', ')}]\n`;
  return `id: ${options.id}\nversion: 1\ntitle: T\nscope: task\n${include}${options.extra ?? ''}criteria:\n${options.criteria}`;
}

const judged = (id: string) =>
  `  - id: ${id}\n    description: d\n    weight: 1\n    passFail: true\n    evaluator: { type: judge }\n`;

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

test('includes are merged depth first, each once, with pass/fail tiers made explicit', () => {
  const corpus = corpusOf({
    'base.yaml': rubric({ id: 'base', criteria: judged('b1') }),
    'mid.yaml': rubric({ id: 'mid', include: ['base'], criteria: judged('m1') }),
    'top.yaml': rubric({ id: 'top', include: ['mid', 'base'], criteria: judged('t1') }),
  });
  const r = resolveRubric({ corpus, id: 'top', verifiers });
  assert.deepEqual(r.sources, ['top', 'mid', 'base']);
  assert.deepEqual(
    r.criteria.map((c) => `${c.id}@${c.fromRubric}`),
    ['b1@base', 'm1@mid', 't1@top'],
  );
  assert.deepEqual(
    r.criteria[0]!.tiers.map((t) => t.score),
    [0, 1],
  );
});

test('an unknown verifier is reported at its name, listing the known ones', () => {
  const criteria = `  - id: c1\n    description: d\n    weight: 1\n    passFail: true\n    evaluator:\n      type: verifier\n      name: text.lenght\n`;
  throwsAt(
    () =>
      resolveRubric({ corpus: corpusOf({ 'r.yaml': rubric({ id: 'r', criteria }) }), id: 'r', verifiers }),
    {
      file: 'r.yaml',
      line: 12,
      field: 'criteria[0].evaluator.name',
      message: /unknown verifier 'text\.lenght'; known: .*defence\.question-praise.*text\.length/,
    },
  );
});

test('bad verifier parameters are reported at the parameter', () => {
  const criteria = `  - id: c1\n    description: d\n    weight: 1\n    passFail: true\n    evaluator:\n      type: verifier\n      name: text.length\n      params:\n        unit: words\n        min: five\n`;
  throwsAt(
    () =>
      resolveRubric({ corpus: corpusOf({ 'r.yaml': rubric({ id: 'r', criteria }) }), id: 'r', verifiers }),
    {
      file: 'r.yaml',
      line: 15,
      field: 'criteria[0].evaluator.params.min',
      message: /verifier 'text\.length' parameters: expected number, received string/,
    },
  );
  const regex = `  - id: c1\n    description: d\n    weight: 1\n    passFail: true\n    evaluator:\n      type: verifier\n      name: text.regex\n      params: { pattern: '(open' }\n`;
  throwsAt(
    () =>
      resolveRubric({
        corpus: corpusOf({ 'r.yaml': rubric({ id: 'r', criteria: regex }) }),
        id: 'r',
        verifiers,
      }),
    {
      file: 'r.yaml',
      line: 13,
      field: 'criteria[0].evaluator.params.pattern',
      message: /expected a valid RE2 regular expression \(missing closing \)/,
    },
  );
  const unknown = `  - id: c1\n    description: d\n    weight: 1\n    passFail: true\n    evaluator:\n      type: verifier\n      name: defence.self-praise\n      params:\n        strict: true\n`;
  throwsAt(
    () =>
      resolveRubric({
        corpus: corpusOf({ 'r.yaml': rubric({ id: 'r', criteria: unknown }) }),
        id: 'r',
        verifiers,
      }),
    {
      file: 'r.yaml',
      line: 14,
      field: 'criteria[0].evaluator.params.strict',
      message: /unknown parameter 'strict'/,
    },
  );
});

test('an include cycle is reported at the include that closes it', () => {
  const corpus = corpusOf({
    'a.yaml': rubric({ id: 'a', include: ['b'], criteria: judged('a1') }),
    'b.yaml': rubric({ id: 'b', include: ['a'], criteria: judged('b1') }),
  });
  throwsAt(() => resolveRubric({ corpus, id: 'a', verifiers }), {
    file: 'b.yaml',
    line: 5,
    field: 'include[0]',
    message: /include cycle: a -> b -> a/,
  });
});

test('a missing include is reported at the include entry', () => {
  const text = `id: a\nversion: 1\ntitle: T\nscope: task\ninclude:\n  - defence/nothing\n  - defence/missing\ncriteria:\n${judged('a1')}`;
  const corpus = corpusOf({
    'a.yaml': text,
    'n.yaml': rubric({ id: 'defence/nothing', criteria: judged('n1') }),
  });
  throwsAt(() => resolveRubric({ corpus, id: 'a', verifiers }), {
    file: 'a.yaml',
    line: 7,
    field: 'include[1]',
    message: /included rubric 'defence\/missing' is not in the corpus/,
  });
});

test('a criterion id defined again through an include names both places', () => {
  const corpus = corpusOf({
    'base.yaml': rubric({ id: 'base', criteria: judged('same') }),
    'top.yaml': rubric({ id: 'top', include: ['base'], criteria: judged('other') + judged('same') }),
  });
  throwsAt(() => resolveRubric({ corpus, id: 'top', verifiers }), {
    file: 'top.yaml',
    line: 12,
    field: 'criteria[1].id',
    message: /criterion id 'same' is already defined in rubric 'base' at base\.yaml:6/,
  });
});

test('an interaction naming an unknown criterion is reported at the name', () => {
  const extra = 'aggregation:\n  interactions:\n    - { a: c1, b: c9, coefficient: 0.2 }\n';
  const corpus = corpusOf({ 'r.yaml': rubric({ id: 'r', extra, criteria: judged('c1') }) });
  throwsAt(() => resolveRubric({ corpus, id: 'r', verifiers }), {
    file: 'r.yaml',
    line: 7,
    field: 'aggregation.interactions[0].b',
    message: /interaction names unknown criterion 'c9'; known: c1/,
  });
});

test('a rubric without any criterion is rejected; an unknown id lists how many are loaded', () => {
  const corpus = corpusOf({ 'e.yaml': 'id: empty\nversion: 1\ntitle: T\nscope: task\n' });
  throwsAt(() => resolveRubric({ corpus, id: 'empty', verifiers }), {
    file: 'e.yaml',
    line: 1,
    field: 'criteria',
    message: /at least one criterion/,
  });
  assert.throws(
    () => resolveRubric({ corpus, id: 'nope', verifiers }),
    /unknown rubric 'nope' \(1 rubrics loaded/,
  );
});

test('resolveAll reports a broken included rubric once, not once per includer', () => {
  const broken = `  - id: x\n    description: d\n    weight: 1\n    passFail: true\n    evaluator: { type: verifier, name: no.such }\n`;
  const corpus = corpusOf({
    'base.yaml': rubric({ id: 'base', criteria: broken }),
    'a.yaml': rubric({ id: 'a', include: ['base'], criteria: judged('a1') }),
    'b.yaml': rubric({ id: 'b', include: ['base'], criteria: judged('b1') }),
    'ok.yaml': rubric({ id: 'ok', criteria: judged('o1') }),
  });
  const errors: ValidationError[] = [];
  const resolved = resolveAll({ corpus, verifiers, onError: (e) => errors.push(e) });
  assert.deepEqual(
    resolved.map((r) => r.id),
    ['ok'],
  );
  assert.equal(errors.length, 1);
  assert.match(
    errors[0]!.message,
    /^base\.yaml:10, field criteria\[0\]\.evaluator\.name: unknown verifier 'no\.such'/,
  );
});
