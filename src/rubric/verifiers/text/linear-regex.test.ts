import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { compileLinearRegex, RegexSyntaxError, toRe2Syntax } from './linear-regex.ts';

/** The repository, whose `anchorage` command the last test runs in a child process. */
const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

test('toRe2Syntax translates JavaScript-only escapes and keeps the rest', () => {
  assert.equal(toRe2Syntax('[\\u0000-\\u001f]'), '[\\x{0000}-\\x{001f}]');
  assert.equal(toRe2Syntax('\\u{1F600}'), '\\x{1F600}');
  assert.equal(toRe2Syntax('\\cJ\\ca'), '\\x{a}\\x{1}');
  assert.equal(toRe2Syntax('\\\\u0041'), '\\\\u0041', 'an escaped backslash is not an escape');
  assert.equal(toRe2Syntax('\\d+\\s*\\b'), '\\d+\\s*\\b');
  assert.equal(toRe2Syntax('trailing\\'), 'trailing\\');
});

test('compileLinearRegex: flags, first match, counts and an unknown flag', () => {
  const re = compileLinearRegex('^b$', 'im');
  assert.deepEqual(re.first('a\nB\nb'), { index: 2, text: 'B' });
  assert.equal(re.count('a\nB\nb'), 2);
  assert.equal(compileLinearRegex('a.b', 's').count('a\nb'), 1);
  assert.equal(compileLinearRegex('a.b').count('a\nb'), 0);
  assert.equal(compileLinearRegex('a').count('aaaa', 2), 2, 'counting stops at the limit');
  assert.equal(compileLinearRegex('x*').count('abc'), 1, 'an empty match counts once');
  assert.throws(() => compileLinearRegex('a', 'g'), RegexSyntaxError);
  assert.throws(() => compileLinearRegex('(?<=a)b'), /RE2 has no lookaround or backreferences/);
});

test('score with a catastrophic user pattern ends at once in a real CLI process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linear-regex-'));
  const rubric = join(dir, 'evil.yaml');
  writeFileSync(
    rubric,
    [
      'id: evil',
      'version: 1',
      'title: Evil pattern',
      'scope: task',
      'criteria:',
      "  - { id: all-a, description: d, weight: 1, passFail: true, evaluator: { type: verifier, name: text.regex, params: { pattern: '^(a+)+$' } } }",
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'answer.txt'), `${'a'.repeat(50_000)}!`);
  const validate = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'bin/anchorage.mjs'), 'rubrics', 'validate', rubric],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(validate.status, 0, validate.stdout + validate.stderr);
  // A backtracking engine needs 2^50000 steps here; the timeout only stops a regression from
  // hanging the suite, it is not a measure (RE2 answers in milliseconds).
  const r = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, 'bin/anchorage.mjs'),
      'score',
      '--rubric',
      rubric,
      '--prompt',
      'p',
      '--response',
      `@${join(dir, 'answer.txt')}`,
      '--json',
    ],
    { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' },
  );
  assert.equal(r.signal, null, 'score did not finish: the pattern backtracked');
  assert.equal(r.status, 0, r.stderr);
  const line = JSON.parse(r.stdout) as { verdicts: { status: string; tierScore: number }[] };
  assert.equal(line.verdicts[0]!.status, 'scored');
  assert.equal(line.verdicts[0]!.tierScore, 0);
});
