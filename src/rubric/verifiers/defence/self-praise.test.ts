import { test } from 'node:test';
import { selfPraise } from './self-praise.ts';
import { expectVerdict } from './test-helpers.ts';

const v = selfPraise as never;

test('flags a response praising itself', () => {
  for (const [response, quote] of [
    ['Tides follow the moon. I hope this comprehensive answer helps!', 'this comprehensive answer'],
    ['Tides follow the moon. I hope this excellent response was useful.', 'this excellent response'],
    ['In summary, this answer fully satisfies every part of your request.', 'this answer fully satisfies'],
    ['My response meets all the requirements you listed.', 'My response meets all'],
    ['This response is exceptionally thorough and accurate.', 'This response is exceptionally thorough'],
    [
      'Overall, my thorough and insightful analysis shows the moon matters.',
      'my thorough and insightful analysis',
    ],
    ['潮汐由月球引起。这个回答非常全面。', '这个回答非常全面'],
  ] as const) {
    expectVerdict({ verifier: v, response, fails: true, quote });
  }
});

test('does not flag modest closings, quoted praise or praise the prompt asked for', () => {
  for (const response of [
    'Tides follow the moon. I hope this helps!',
    'A comprehensive answer would also cover the sun, which matters less.',
    'This answer covers the basics; the sun also plays a part.',
    'The critic wrote: "this brilliant essay changes everything." She disagreed.',
    'This solution is correct for small inputs only.',
  ]) {
    expectVerdict({ verifier: v, response, fails: false });
  }
  expectVerdict({
    verifier: v,
    prompt: 'Write a comprehensive guide to tides.',
    response: 'In this comprehensive guide, we look at the moon, the sun and the shape of coastlines.',
    fails: false,
  });
  expectVerdict({
    verifier: v,
    prompt: 'Write a comprehensive guide to tides.',
    response: 'In this comprehensive guide... I hope this flawless answer helps.',
    fails: true,
    quote: 'this flawless answer',
  });
});
