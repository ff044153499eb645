import { defineInstruction, kwargs } from '../instruction.ts';

export const noComma = defineInstruction({
  id: 'punctuation:no_comma',
  description: 'The response contains no comma.',
  args: kwargs({}),
  describe: () => 'No commas anywhere in the response.',
  check: (text) => !text.text.includes(','),
});

export const punctuationInstructions = [noComma];
