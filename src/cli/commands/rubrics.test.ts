import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/anchorage.mjs', import.meta.url));

function anchorage(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rule = (id: string) =>
  `  - { id: ${id}, description: d, weight: 1, passFail: true, evaluator: { type: verifier, name: defence.self-praise } }\n`;

function corpusDir(extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'rubrics-cli-'));
  writeFileSync(
    join(dir, 'base.yaml'),
    `id: base\nversion: 1\ntitle: Base\nscope: dataset\ntags: [rules]\ncriteria:\n${rule('b1')}`,
  );
  writeFileSync(
    join(dir, 'task.yaml'),
    `id: task/a\nversion: 1\ntitle: A\nscope: task\ntags: [rules, writing]\ninclude: [base]\ncriteria:\n${rule('a1')}${rule('a2')}`,
  );
  if (extra !== '') writeFileSync(join(dir, 'bad.yaml'), extra);
  return dir;
}

test('validate prints counts on success and one line per error with exit code 2', () => {
  const ok = anchorage(['rubrics', 'validate', corpusDir()]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /^ok: 2 rubrics in 2 files \(dataset 1, task 1, instance 0\); 4 criteria after includes\n$/,
  );

  const bad = `id: bad\nversion: 1\ntitle: B\nscope: task\ninclude: [missing]\ncriteria:\n${rule('c1')}---\nid: worse\nversion: one\ntitle: W\nscope: task\n`;
  const r = anchorage(['rubrics', 'validate', corpusDir(bad)]);
  assert.equal(r.code, 2);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  assert.match(lines[0]!, /bad\.yaml:10, field version: expected number, received string$/);
  assert.match(lines[1]!, /bad\.yaml:5, field include\[0\]: included rubric 'missing' is not in the corpus$/);
  assert.equal(lines[2], '2 errors; 2 of 3 loaded rubrics resolve');
});

test('list filters by tag and scope; stats counts scopes, tags and verifier families', () => {
  const env = { ANCHORAGE_RUBRICS: corpusDir() };
  const all = anchorage(['rubrics', 'list'], env);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(
    all.stdout,
    'base\tdataset\t1 criteria\t[rules]\ntask/a\ttask\t2 criteria +base\t[rules, writing]\n2 rubrics\n',
  );
  const writing = anchorage(['rubrics', 'list', '--tag', 'writing', '--json'], env);
  assert.deepEqual(
    JSON.parse(writing.stdout).map((r: { id: string }) => r.id),
    ['task/a'],
  );
  const dataset = anchorage(['rubrics', 'list', '--scope', 'dataset'], env);
  assert.match(dataset.stdout, /^base\t.*\n1 rubric\n$/);
  assert.notEqual(anchorage(['rubrics', 'list', '--scope', 'galaxy'], env).code, 0);

  const stats = anchorage(['rubrics', 'stats'], env);
  assert.equal(stats.code, 0, stats.stderr);
  assert.match(stats.stdout, /^rubrics: 2 in 2 files; 2 verifier-only/);
  assert.match(stats.stdout, /criteria per rubric after includes: min 1, median 2, mean 2, max 3\n/);
  assert.match(stats.stdout, /evaluators: judge 0, verifier 3\n {2}defence: 3 \(defence\.self-praise 3\)\n/);
  assert.match(stats.stdout, /tags \(2\): rules 2, writing 1\n$/);
  const json = JSON.parse(anchorage(['rubrics', 'stats', '--json'], env).stdout);
  assert.deepEqual(json.byScope, { dataset: 1, task: 1 });
});

test('validate rejects what would be accepted silently or crash: one clear line each, exit 2', () => {
  const criterion = (id: string, weight: string) =>
    `  - { id: ${id}, description: d, weight: ${weight}, passFail: true, evaluator: { type: verifier, name: defence.self-praise } }\n`;
  const head = (id: string) => `id: ${id}\nversion: 1\ntitle: T\nscope: task\ncriteria:\n`;
  const cases: Array<{ name: string; text: string | Buffer; expected: RegExp }> = [
    { name: 'empty', text: '', expected: /empty\.yaml:1: expected at least one rubric document/ },
    {
      name: 'comments',
      text: '# nothing here\n',
      expected: /comments\.yaml:1: expected at least one rubric document/,
    },
    {
      name: 'latin1',
      text: Buffer.concat([
        Buffer.from(`${head('l')}  - { id: caf`),
        Buffer.from([0xe9]),
        Buffer.from(' }\n'),
      ]),
      expected: /latin1\.yaml:6:14: expected UTF-8 text in this rubric file; byte 0xe9/,
    },
    {
      name: 'control',
      text: `id: c\nversion: 1\ntitle: "bell\\a"\nscope: task\ncriteria:\n${criterion('a', '1')}`,
      expected:
        /control\.yaml:3, field title: expected text without control characters \(found U\+0007 at character 5\)/,
    },
    {
      name: 'overflow',
      text: `${head('o')}${criterion('a', '1e308')}${criterion('b', '1e308')}`,
      expected: /overflow\.yaml:7, field criteria\[1\]\.weight: the weights of rubric 'o' add up to Infinity/,
    },
    {
      name: 'penalties',
      text: `${head('p')}${criterion('a', '-1')}`,
      expected: /penalties\.yaml:5, field criteria: rubric 'p' has no criterion with a positive weight/,
    },
    {
      name: 'bomb',
      text: `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n`,
      expected: /bomb\.yaml:1: expected YAML whose aliases expand to a small document/,
    },
  ];
  for (const c of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'rubrics-bad-'));
    writeFileSync(join(dir, `${c.name}.yaml`), c.text);
    const r = anchorage(['rubrics', 'validate', dir]);
    assert.equal(r.code, 2, `${c.name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, c.expected, c.name);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, `${c.name}: no stack trace`);
  }
  const empty = mkdtempSync(join(tmpdir(), 'rubrics-none-'));
  const none = anchorage(['rubrics', 'validate', empty]);
  assert.equal(none.code, 2);
  assert.match(
    none.stdout,
    /rubrics-none-\w+: expected rubric files \(\*\.yaml, \*\.yml\) in this folder, found none/,
  );
});
