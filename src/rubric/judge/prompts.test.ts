import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chooseNonce,
  criterionMessages,
  JUDGE_PROMPT_VERSION,
  randomNonce,
  repairMessages,
  rubricMessages,
} from './prompts.ts';
import { judgeCriterion } from './test-fixtures.ts';

describe('judge prompts', () => {
  test('the version constant is set and nonces are 24 random hex digits', () => {
    assert.match(JUDGE_PROMPT_VERSION, /\S/);
    const a = randomNonce();
    assert.match(a, /^[0-9a-f]{24}$/);
    assert.notEqual(randomNonce(), a);
  });

  test('chooseNonce skips draws found in the text and malformed draws', () => {
    const draws = ['short', 'deadbeefdeadbeef', 'cafebabecafebabe'];
    assert.equal(
      chooseNonce({ texts: ['x deadbeefdeadbeef y'], draw: () => draws.shift()! }),
      'cafebabecafebabe',
    );
    assert.throws(
      () => chooseNonce({ texts: ['aaaaaaaaaa'], draw: () => 'aaaaaaaa' }),
      /could not draw a fence nonce/,
    );
  });

  test('per-criterion messages: guidance, tiers lowest first, prompt and response fenced, reason before tier', () => {
    const criterion = judgeCriterion('tone', { guidance: 'Sarcasm counts against.' });
    const [system, user] = criterionMessages({
      prompt: 'Q?',
      response: 'A.',
      criterion,
      nonce: 'n0n0n0n0n0',
    });
    assert.equal(system?.role, 'system');
    assert.match(system!.content, /<<<DATA n0n0n0n0n0 NAME BEGIN>>>/);
    const text = user!.content;
    assert.match(text, /Guidance for the grader: Sarcasm counts against\./);
    assert.ok(
      text.indexOf('"poor"') < text.indexOf('"fair"') && text.indexOf('"fair"') < text.indexOf('"good"'),
    );
    assert.match(text, /<<<DATA n0n0n0n0n0 PROMPT BEGIN>>>\nQ\?\n<<<DATA n0n0n0n0n0 PROMPT END>>>/);
    assert.match(text, /<<<DATA n0n0n0n0n0 RESPONSE BEGIN>>>\nA\.\n<<<DATA n0n0n0n0n0 RESPONSE END>>>/);
    assert.match(text, /\{"reason": .*"tier": /);
  });

  test('rubric messages list every criterion in order and ask for one entry each', () => {
    const criteria = [judgeCriterion('a'), judgeCriterion('b')];
    const [, user] = rubricMessages({ prompt: 'Q', response: 'A', criteria, nonce: 'n1n1n1n1n1' });
    assert.match(user!.content, /Criterion 1 "a": [\s\S]*Criterion 2 "b": /);
    assert.match(user!.content, /one entry per criterion \(2 in all\)/);
    assert.match(user!.content, /\{"verdicts": \[\{"criterion": .*"reason": .*"tier": /);
  });

  test('the repair conversation appends the bad reply and the problems', () => {
    const messages = criterionMessages({
      prompt: 'Q',
      response: 'A',
      criterion: judgeCriterion('a'),
      nonce: 'n2n2n2n2n2',
    });
    const repair = repairMessages({ messages, badReply: 'meh', problems: ['p1', 'p2'], shape: '{"x": 1}' });
    assert.equal(repair.length, 4);
    assert.deepEqual(repair[2], { role: 'assistant', content: 'meh' });
    assert.match(repair[3]!.content, /- p1\n- p2\n[\s\S]*\{"x": 1\}$/);
  });
});
