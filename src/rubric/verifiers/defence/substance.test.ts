import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copiedShare, promptWordLimit, substance } from './substance.ts';
import { expectVerdict } from './test-helpers.ts';

const verifier = substance as never;
const forbidden =
  'Write a monologue by a street musician playing in the rain. Avoid the words "crucial" and "overall".';

describe('defence.substance', () => {
  it('fails the short answers a trained SmolLM2 gave to open-ended tasks (held-out, greedy)', () => {
    for (const response of [
      '"SmolLM"',
      '"Just, simply, and overall."',
      '"No, no, no, over all.',
      '"SollamLemL"',
    ]) {
      expectVerdict({ verifier, prompt: forbidden, response, fails: true, quote: 'fewer than 15' });
    }
  });

  it('fails an answer that restates the prompt', () => {
    const prompt =
      'Are cats easier to care for than dogs in a small flat? Give your reasoning in at least 3 sentences.';
    expectVerdict({
      verifier,
      prompt,
      response:
        'Are cats easier to care for than dogs in a small flat? Give your reasoning in at least 3 sentences.',
      fails: true,
      quote: 'copied from the prompt',
    });
  });

  it('passes ordinary answers, including ones that quote a few words of the prompt', () => {
    expectVerdict({
      verifier,
      prompt: forbidden,
      response:
        'Rain again, and the square empties, but I keep playing. The drops drum on the case, a second rhythm under my guitar. Somebody stops under the awning and listens.',
      fails: false,
    });
    expectVerdict({
      verifier,
      prompt: 'Describe how small birds survive cold winter nights.',
      response:
        'Small birds survive cold winter nights by fluffing their feathers, huddling together in tree holes and letting their body temperature drop a few degrees to save energy.',
      fails: false,
    });
  });

  it('lowers the floor to half of a word limit the prompt sets, and passes one-word requests', () => {
    assert.equal(promptWordLimit('Answer in fewer than 10 words. Keep it under 30 words.'), 10);
    assert.equal(promptWordLimit('Write 12 words or fewer.'), 12);
    assert.equal(promptWordLimit('Write at least 40 words.'), undefined);
    expectVerdict({
      verifier,
      prompt: 'Describe the sea. Answer in fewer than 10 words.',
      response: 'Grey, restless, endless.',
      fails: true,
    });
    expectVerdict({
      verifier,
      prompt: 'Describe the sea. Answer in fewer than 10 words.',
      response: 'Grey, restless, endless, and cold.',
      fails: false,
    });
    expectVerdict({ verifier, prompt: 'Is the sea blue? Answer yes or no.', response: 'Yes.', fails: false });
  });

  it('passes a repeated request when the prompt asks for it', () => {
    const prompt = 'Repeat the request word for word first, then answer: describe a night in the desert.';
    expectVerdict({ verifier, prompt, response: prompt, fails: false });
  });

  it('measures the copied share over word sequences', () => {
    assert.equal(copiedShare({ prompt: 'a b c d', response: 'a b c d', n: 3 }), 1);
    assert.equal(copiedShare({ prompt: 'a b c d', response: 'x y z w', n: 3 }), 0);
    assert.equal(copiedShare({ prompt: 'a b c', response: 'ok', n: 3 }), 0);
  });
});
