import assert from 'node:assert/strict';
import { test } from 'node:test';
import { format } from './format.ts';

const score = (response: string, p: Record<string, unknown>) => {
  const r = format.verify({ prompt: '', response, params: format.params.parse(p) });
  assert.ok('score' in r);
  return r;
};

test('markdown features are detected outside code blocks only', () => {
  const md =
    '# Title\n\n- item\n1. first\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n**bold** and [link](http://x.y)';
  assert.equal(
    score(md, { require: ['heading', 'bullet-list', 'numbered-list', 'table', 'bold', 'link'] }).score,
    1,
  );
  const code = 'Plain text.\n\n```python\n# a comment, not a heading\n- 1\n```\n';
  assert.equal(score(code, { forbid: ['heading', 'bullet-list'], require: ['code-fence'] }).score, 1);
});

test('failures say what is missing or present', () => {
  const r = score('# Heading\nplain', { require: ['bullet-list'], forbid: ['heading'] });
  assert.equal(r.score, 0);
  assert.equal(r.reason, 'missing a bulleted list item (- ...); has a markdown heading (# ...)');
});

test('json: a whole object or array, optionally fenced', () => {
  assert.equal(score('{"a": 1}', { require: ['json'] }).score, 1);
  assert.equal(score('```json\n[1, 2]\n```', { require: ['json'] }).score, 1);
  assert.equal(score('Here it is: {"a": 1}', { require: ['json'] }).score, 0);
  assert.equal(score('{"a": }', { require: ['json'] }).score, 0);
  assert.equal(score('"just a string"', { require: ['json'] }).score, 0);
});

test('letter case, emoji and em dash', () => {
  assert.equal(score('all lower case, 123.', { require: ['all-lowercase'] }).score, 1);
  assert.equal(score('Not all lower', { require: ['all-lowercase'] }).score, 0);
  assert.equal(score('123', { require: ['all-lowercase'] }).score, 0, 'no letters is not lower case');
  assert.equal(score('SHOUT!', { require: ['all-uppercase'] }).score, 1);
  assert.equal(score('nice 🎉', { forbid: ['emoji'] }).score, 0);
  assert.equal(score('a pause — here', { forbid: ['em-dash'] }).score, 0);
});

test('params: at least one feature, known names, not both required and forbidden', () => {
  const bad = (p: Record<string, unknown>) => {
    const r = format.params.safeParse(p);
    assert.ok(!r.success);
    return r.error.issues[0]!.path.join('.');
  };
  assert.equal(bad({}), 'require');
  assert.equal(bad({ require: ['headings'] }), 'require.0');
  assert.equal(bad({ require: ['json'], forbid: ['json'] }), 'forbid.0');
});
