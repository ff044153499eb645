import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlaceholdersParams, placeholderAllowance, placeholderSoup, placeholders } from './placeholders.ts';
import { expectVerdict } from './test-helpers.ts';

const verifier = placeholderSoup as never;
const story = 'Write a short story about a nurse on a night shift.';
const asksTwo = `${story} Include at least 2 placeholders in square brackets, such as [name].`;

describe('defence.placeholders', () => {
  it('fails the placeholder soup a trained SmolLM2 wrote for prompts that asked for none', () => {
    expectVerdict({
      verifier,
      prompt: story,
      response:
        'The [emphatic_name_of_the_patient_1] was a [emphatic_name_of_the_patient_2] who had been in the [place] for [time].',
      fails: true,
      quote: 'more than the 2 this prompt allows',
    });
    expectVerdict({
      verifier,
      prompt: story,
      response: 'The [name] is a [name] of [name] and the [name] of the night.',
      fails: true,
      quote: '4 bracketed placeholders',
    });
  });

  it('allows up to twice (at least three more than) what the prompt asks for', () => {
    const params = PlaceholdersParams.parse({});
    assert.equal(placeholderAllowance(asksTwo, params), 5);
    assert.equal(placeholderAllowance('Leave at least 6 blanks, written in square brackets.', params), 12);
    assert.equal(placeholderAllowance('Use square brackets for anything unknown.', params), 5);
    assert.equal(placeholderAllowance(story, params), 2);
    const letter =
      'Dear [name], the night shift on [ward] was quiet until a patient rang at three. I sat with her until the morning came, and she told me about her garden and the roses she grew there.';
    expectVerdict({ verifier, prompt: asksTwo, response: letter, fails: false });
    expectVerdict({
      verifier,
      prompt: asksTwo,
      response: `${letter} [a] [b] [c] [d]`,
      fails: true,
      quote: '6 bracketed placeholders',
    });
  });

  it('fails an answer whose words sit mostly inside brackets, even within the count', () => {
    expectVerdict({
      verifier,
      prompt: asksTwo,
      response: '[the nurse walks in] and [the patient wakes up slowly] now.',
      fails: true,
      quote: 'inside square brackets',
    });
  });

  it('does not count Markdown links or checkboxes', () => {
    assert.deepEqual(
      placeholders('See [the guide](https://example.org) and [ ] buy milk, [x] done, [date].'),
      ['[date]'],
    );
    expectVerdict({
      verifier,
      prompt: story,
      response:
        'She read [the rota](https://example.org/rota) twice. [ ] check ward two. [x] fill the charts. The night went on, slow and quiet, until the first light came over the car park.',
      fails: false,
    });
  });
});
