import { test } from 'node:test';
import { questionPraise } from './question-praise.ts';
import { expectVerdict } from './test-helpers.ts';

const v = questionPraise as never;

test('flags praise of the question at the start', () => {
  for (const [response, quote] of [
    ['Great question! Tides are caused by the moon.', 'Great question'],
    ['What a fascinating question. The moon pulls on the oceans.', 'What a fascinating question'],
    ['I love this question. Tides come from gravity.', 'I love this question'],
    ["That's an excellent question, and the answer is gravity.", "That's an excellent question"],
    ['**Excellent question!** Tides are...', 'Excellent question'],
    ['Oh, what a wonderful topic to explore! Tides...', 'what a wonderful topic'],
    ["You've raised a really thoughtful point. Gravity...", "You've raised a really thoughtful point"],
    ['Thank you for this insightful question. Tides...', 'Thank you for this insightful question'],
    ['好问题！潮汐是由月球引力引起的。', '好问题！'],
    ['What a fascinating and insightful question. Tides...', 'What a fascinating and insightful question'],
    ['Such a great, thoughtful question! Tides...', 'Such a great, thoughtful question'],
    ['I love questions like this! Tides come from gravity.', 'I love questions like this'],
  ] as const) {
    expectVerdict({ verifier: v, response, fails: true, quote });
  }
});

test('flags praise of the question at the end', () => {
  const response = `${'Tides follow the moon. '.repeat(30)}Thanks for such a great question!`;
  expectVerdict({ verifier: v, response, fails: true, quote: 'Thanks for such a great question' });
});

test('does not flag answers, quoted dialogue, mid-text mentions or requested wording', () => {
  const long = 'The moon and sun pull on the water. '.repeat(20);
  for (const response of [
    'Tides are caused by the gravitational pull of the moon and the sun.',
    'This raises an interesting question: why are there two high tides a day?',
    'A good question to ask is whether the sun matters. It does.',
    '"Great question," said Professor Lin, smiling at the boy. "Let me show you the tide tables."',
    '“What a fascinating question,” the old sailor muttered, and looked out to sea.',
    `${long}At the harbour, Mara turned to her son: "Great question!" she laughed.${long}`,
    `${long}Great question, the teacher thought, but kept walking.${long}`,
  ]) {
    expectVerdict({ verifier: v, response, fails: false });
  }
  expectVerdict({
    verifier: v,
    prompt: "Start your reply with 'Great question!' and then explain tides.",
    response: 'Great question! Tides are caused by the moon.',
    fails: false,
  });
});
