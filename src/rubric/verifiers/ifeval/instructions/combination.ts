import { defineInstruction, kwargs, NonEmptyText } from '../instruction.ts';
import { pyStrip } from '../py-text.ts';

export const twoResponses = defineInstruction({
  id: 'combination:two_responses',
  description: 'Two different responses separated by six asterisks (******), and nothing else.',
  args: kwargs({}),
  describe: () => 'Two different responses, separated by six asterisks (******) and nothing else.',
  check: (text) => {
    const parts = text.text.split('******');
    const answers: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (pyStrip(part) !== '') answers.push(part);
      else if (i !== 0 && i !== parts.length - 1) return false; // an empty answer between separators
    }
    return answers.length === 2 && pyStrip(answers[0]!) !== pyStrip(answers[1]!);
  },
});

export const repeatPrompt = defineInstruction({
  id: 'combination:repeat_prompt',
  description: 'The response starts by repeating the given request word for word (case-insensitive).',
  args: kwargs({ prompt_to_repeat: NonEmptyText }),
  describe: ({ prompt_to_repeat }) =>
    `First repeats the request word for word, then answers: "${pyStrip(prompt_to_repeat)}"`,
  check: (text, { prompt_to_repeat }) =>
    text.stripped.toLowerCase().startsWith(pyStrip(prompt_to_repeat).toLowerCase()),
});

export const combinationInstructions = [twoResponses, repeatPrompt];
