import assert from 'node:assert/strict';
import { test } from 'node:test';
import { regex } from './regex.ts';

const run = (response: string, p: Record<string, unknown>) => {
  const r = regex.verify({ prompt: '', response, params: regex.params.parse(p) });
  assert.ok('score' in r);
  return r;
};

test('must match, with flags', () => {
  assert.equal(run('Hello World', { pattern: '^hello', flags: 'i' }).score, 1);
  assert.equal(run('Hello World', { pattern: '^hello' }).score, 0);
  assert.equal(run('a\nb', { pattern: '^b$', flags: 'm' }).score, 1);
});

test('must not match quotes the offending span', () => {
  const r = run('Sure! As an AI, I cannot.', { pattern: 'as an ai', flags: 'i', must: 'no-match' });
  assert.equal(r.score, 0);
  assert.equal(r.reason, 'matches /as an ai/i at 6: "As an AI"');
  assert.equal(run('Plain answer.', { pattern: 'as an ai', flags: 'i', must: 'no-match' }).score, 1);
});

test('match counts between minCount and maxCount', () => {
  const p = { pattern: '\\bcat\\b', minCount: 2, maxCount: 3 };
  assert.equal(run('cat', p).score, 0);
  assert.equal(run('cat cat', p).score, 1);
  const many = run('cat cat cat cat', p);
  assert.equal(many.score, 0);
  assert.match(many.reason, /^4 matches .* \(wanted 2\.\.3\)/);
  assert.equal(run('xyz', { pattern: '(?:)', minCount: 1 }).score, 1, 'an empty match counts and stops');
  const atMost = { pattern: 'in conclusion', flags: 'i', minCount: 0, maxCount: 1 };
  assert.equal(run('No filler.', atMost).score, 1);
  assert.equal(run('In conclusion, in conclusion.', atMost).score, 0);
});

test('params: an invalid pattern or flag fails at load with the field', () => {
  const bad = (p: Record<string, unknown>) => {
    const r = regex.params.safeParse(p);
    assert.ok(!r.success);
    return { path: r.error.issues[0]!.path.join('.'), message: r.error.issues[0]!.message };
  };
  const invalid = bad({ pattern: '(unclosed' });
  assert.equal(invalid.path, 'pattern');
  assert.match(invalid.message, /^a valid RE2 regular expression \(missing closing \)/);
  assert.equal(bad({ pattern: 'x', flags: 'g' }).path, 'flags');
  assert.equal(bad({ pattern: 'x', flags: 'ii' }).path, 'flags');
  assert.equal(bad({ pattern: 'x', must: 'no-match', minCount: 2 }).path, 'must');
  assert.equal(bad({ pattern: 'x', minCount: 3, maxCount: 2 }).path, 'maxCount');
});

test('params: lookaround and backreferences are rejected at load, naming RE2', () => {
  for (const pattern of ['(?=a)b', '(a)\\1', 'a(?!b)', '(?<=a)b']) {
    const r = regex.params.safeParse({ pattern });
    assert.ok(!r.success, pattern);
    assert.equal(r.error.issues[0]!.path.join('.'), 'pattern');
    assert.match(
      r.error.issues[0]!.message,
      /^a valid RE2 regular expression \(.*; RE2 has no lookaround or backreferences\)$/,
    );
  }
  const big = regex.params.safeParse({ pattern: 'a{1001}' });
  assert.ok(!big.success);
  assert.equal(
    big.error.issues[0]!.message,
    'a valid RE2 regular expression (invalid repeat count: `{1001}`)',
  );
});

test('catastrophic-backtracking patterns run in linear time', () => {
  // Each of these takes a backtracking engine 2^n steps on the inputs below (n = 10,000):
  // with RE2 they answer at once, so the test finishing at all is the check.
  const evil = 'a'.repeat(10_000);
  assert.equal(run(`${evil}!`, { pattern: '^(a+)+$' }).score, 0);
  assert.equal(run(evil, { pattern: '^(a+)+$' }).score, 1);
  assert.equal(run(`${evil}!`, { pattern: '^(a|a)*$' }).score, 0);
  assert.equal(run(`${evil}!`, { pattern: '(a*)*b', must: 'no-match' }).score, 1);
  assert.equal(run(`${'x'.repeat(10_000)}`, { pattern: '(x+x+)+y', must: 'no-match' }).score, 1);
});

test('JavaScript escapes are accepted and mean what they mean in JavaScript', () => {
  assert.equal(run('a\u0001b', { pattern: '[\\u0000-\\u0008]', must: 'no-match' }).score, 0);
  assert.equal(run('smile \u{1F600}', { pattern: '\\u{1F600}' }).score, 1);
  assert.equal(run('tab\there', { pattern: '\\cI' }).score, 1);
  assert.equal(run('x\\u0041', { pattern: '\\\\u0041' }).score, 1, 'an escaped backslash stays literal');
  const r = run('naïve café 😀 x', { pattern: 'x', must: 'no-match' });
  assert.equal(r.reason, 'matches /x/ at 14: "x"', 'indices are UTF-16 offsets, as in JavaScript');
});
