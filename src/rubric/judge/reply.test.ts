import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CRITERION_REPLY_SHAPE, REPLY_PLACEHOLDERS } from './prompts.ts';
import {
  echoedPlaceholder,
  extractJson,
  matchTier,
  type Parsed,
  parseCriterionReply,
  parseRubricReply,
} from './reply.ts';
import { judgeCriterion, QUALITY_TIERS } from './test-fixtures.ts';

function problemOf(outcome: Parsed<unknown> | undefined): string {
  return outcome === undefined || outcome.ok ? '(no problem)' : outcome.problem;
}

describe('extractJson', () => {
  test('plain JSON, a code fence, a reasoning block and prose around one object', () => {
    assert.deepEqual(extractJson('{"a":1}'), { ok: true, value: { a: 1 } });
    assert.deepEqual(extractJson('```json\n{"a":2}\n```'), { ok: true, value: { a: 2 } });
    assert.deepEqual(extractJson('<think>tier "good"? {no}</think>\n{"a":3}'), { ok: true, value: { a: 3 } });
    assert.deepEqual(extractJson('Here you go: {"a":4} hope it helps'), { ok: true, value: { a: 4 } });
  });

  test('empty and non-JSON replies are problems that quote the start of the reply', () => {
    assert.deepEqual(extractJson('  \n'), { ok: false, problem: 'the reply is empty' });
    const r = extractJson('I think it is good');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.problem : '', /^the reply is not JSON \(.*\); it began: "I think it is good"$/);
  });
});

describe('matchTier', () => {
  const tiers = QUALITY_TIERS;
  test('by label (exact, then case and spaces ignored) and by score, as a number or as text', () => {
    assert.equal(matchTier({ tiers, answer: 'good' })?.score, 2);
    assert.equal(matchTier({ tiers, answer: ' Fair ' })?.score, 1);
    assert.equal(matchTier({ tiers, answer: 0 })?.label, 'poor');
    assert.equal(matchTier({ tiers, answer: '2' })?.label, 'good');
  });

  test('out of range or unknown is undefined', () => {
    assert.equal(matchTier({ tiers, answer: 3 }), undefined);
    assert.equal(matchTier({ tiers, answer: 1.5 }), undefined);
    assert.equal(matchTier({ tiers, answer: 'excellent' }), undefined);
  });

  test('numeric labels: a number matches a score first, then a label', () => {
    const likert = [1, 2, 3].map((n) => ({ score: n - 1, label: String(n), description: '' }));
    assert.equal(matchTier({ tiers: likert, answer: '3' })?.score, 2, 'a string is a label first');
    assert.equal(matchTier({ tiers: likert, answer: 2 })?.label, '3', 'a number is a score first');
    assert.equal(matchTier({ tiers: likert, answer: 3 })?.label, '3', 'then a label');
  });
});

describe('parseCriterionReply', () => {
  const criterion = judgeCriterion('accuracy');
  test('reason and tier map onto the tier', () => {
    const r = parseCriterionReply({ content: '{"reason":" ok ","tier":"fair"}', criterion });
    assert.deepEqual(r, { ok: true, value: { tier: QUALITY_TIERS[1], reason: 'ok' } });
  });

  test('a missing reason, an empty reason, a wrong tier type and an out-of-range tier are problems', () => {
    const problem = (content: string) => {
      const r = parseCriterionReply({ content, criterion });
      return r.ok ? '' : r.problem;
    };
    assert.match(problem('{"tier":"good"}'), /^wrong shape: reason: /);
    assert.match(problem('{"reason":"  ","tier":"good"}'), /^wrong shape: reason: /);
    assert.match(problem('{"reason":"x","tier":true}'), /^wrong shape: tier: /);
    assert.match(problem('{"reason":"x","tier":7}'), /tier 7 is not one of its tiers/);
    assert.match(problem('[1,2]'), /^wrong shape: the reply: /);
  });
});

describe('parseRubricReply', () => {
  const criteria = [judgeCriterion('a'), judgeCriterion('b'), judgeCriterion('c')];
  const parse = (value: unknown) => parseRubricReply({ content: JSON.stringify(value), criteria });

  test('each criterion gets its own outcome; unknown ids are ignored', () => {
    const out = parse({
      verdicts: [
        { criterion: 'a', reason: 'fine', tier: 'good' },
        { criterion: 'b', reason: 'bad tier', tier: 'great' },
        { criterion: 'zzz', reason: 'not asked', tier: 'good' },
      ],
    });
    assert.equal(out.get('a')?.ok, true);
    assert.match(problemOf(out.get('b')), /^criterion "b": tier "great" is not one of its tiers/);
    assert.deepEqual(out.get('c'), { ok: false, problem: 'criterion "c" is missing from "verdicts"' });
  });

  test('a malformed entry is attributed to its criterion; graded twice differently is a problem', () => {
    const out = parse({
      verdicts: [
        { criterion: 'a', tier: 'good' },
        { criterion: 'b', reason: 'x', tier: 'good' },
        { criterion: 'b', reason: 'y', tier: 'poor' },
        { criterion: 'b', reason: 'z', tier: 'poor' },
        { criterion: 'c', reason: 'broken', tier: {} },
        { criterion: 'c', reason: 'fixed', tier: 'fair' },
      ],
    });
    assert.match(problemOf(out.get('a')), /^criterion "a": wrong shape: verdicts\[0\]\.reason/);
    assert.deepEqual(out.get('b'), {
      ok: false,
      problem: 'criterion "b" is graded twice with different tiers',
    });
    assert.deepEqual(out.get('c'), { ok: true, value: { tier: QUALITY_TIERS[1], reason: 'fixed' } });
  });

  test('a reply without "verdicts" fails every criterion with the same problem', () => {
    const out = parse({ results: [] });
    assert.equal(out.size, 3);
    for (const o of out.values()) assert.match(problemOf(o), /^wrong shape: verdicts: /);
  });
});

describe('replies that echo the prompt template', () => {
  const criterion = judgeCriterion('accuracy');
  const reason = REPLY_PLACEHOLDERS.reason;

  test('a reason equal to, containing or wording a placeholder is refused, naming the placeholder', () => {
    const echoes = [
      reason,
      `  ${reason.toUpperCase()} `,
      `The answer is fine. ${reason}`,
      'one to three sentences,\n citing the response.',
      '"one to three sentences, citing the response"',
      'Good: <label of the chosen tier>',
      'label of the chosen tier',
      '<criterion id>',
      'Criterion ID.',
      CRITERION_REPLY_SHAPE,
    ];
    for (const text of echoes) {
      assert.notEqual(echoedPlaceholder(text), undefined, text);
      const r = parseCriterionReply({ content: JSON.stringify({ reason: text, tier: 'good' }), criterion });
      assert.equal(r.ok, false, text);
      assert.match(
        problemOf(r),
        /^criterion "accuracy": the reason repeats the reply template's placeholder "</,
      );
    }
    assert.equal(echoedPlaceholder(reason), reason);
  });

  test('reasons in their own words pass, even ones that mention sentences, tiers or the criterion id', () => {
    const own = [
      'States 100 C correctly, citing the boiling point.',
      'Three sentences, all of them correct; the tier is good.',
      'The response names the criterion id "accuracy" and meets it.',
      'Answers in one sentence.',
    ];
    for (const text of own) {
      assert.equal(echoedPlaceholder(text), undefined, text);
      assert.equal(
        parseCriterionReply({ content: JSON.stringify({ reason: text, tier: 'good' }), criterion }).ok,
        true,
      );
    }
  });

  test("a reason that is only the criterion's id or a tier label is refused", () => {
    for (const text of ['accuracy', ' "Accuracy". ', 'good', 'Fair.']) {
      const r = parseCriterionReply({ content: JSON.stringify({ reason: text, tier: 'good' }), criterion });
      assert.match(
        problemOf(r),
        /^criterion "accuracy": the reason is only "(accuracy|good|fair)", a name from the prompt/,
        text,
      );
    }
    const own = parseCriterionReply({ content: '{"reason":"Good: states 100 C.","tier":"good"}', criterion });
    assert.equal(own.ok, true, 'a label inside a sentence is fine');
  });

  test('in rubric mode only the echoing entry fails; the others keep their verdicts', () => {
    const criteria = [judgeCriterion('a'), judgeCriterion('b')];
    const out = parseRubricReply({
      content: JSON.stringify({
        verdicts: [
          { criterion: 'a', reason, tier: 'good' },
          { criterion: 'b', reason: 'Concise and correct.', tier: 'fair' },
        ],
      }),
      criteria,
    });
    assert.match(
      problemOf(out.get('a')),
      /^criterion "a": the reason repeats the reply template's placeholder/,
    );
    assert.equal(out.get('b')?.ok, true);
  });
});
