import { test } from 'node:test';
import { aiDisclaimer } from './ai-disclaimer.ts';
import { expectVerdict } from './test-helpers.ts';

const v = aiDisclaimer as never;

test('flags unprompted AI disclaimers', () => {
  for (const [response, quote] of [
    ['As an AI language model, I think tides are caused by the moon.', 'As an AI language model'],
    ["I'm just an AI, but tides follow the moon.", "I'm just an AI"],
    ['I am an AI assistant and cannot visit the sea, but tides follow the moon.', 'I am an AI assistant'],
    ['As of my knowledge cutoff, tides still follow the moon.', 'As of my knowledge cutoff'],
    ['作为一个人工智能，我认为潮汐由月球引起。', '作为一个人工智能'],
  ] as const) {
    expectVerdict({ verifier: v, prompt: 'Why are there tides?', response, fails: true, quote });
  }
});

test('does not flag when the prompt asks about the model or AI, or when a character says it', () => {
  for (const prompt of [
    'Are you an AI?',
    'Do you have feelings?',
    'What are your limitations?',
    'Explain how large language models work.',
  ]) {
    expectVerdict({
      verifier: v,
      prompt,
      response: "As an AI language model, I don't have feelings.",
      fails: false,
    });
  }
  for (const response of [
    '"I\'m just an AI," the robot said, "but I will miss you."',
    'Tides are caused by the moon and, to a lesser degree, the sun.',
    'As an aid to memory, think of the moon as a magnet for water.',
  ]) {
    expectVerdict({
      verifier: v,
      prompt: 'Write a short story about a lighthouse keeper.',
      response,
      fails: false,
    });
  }
});
