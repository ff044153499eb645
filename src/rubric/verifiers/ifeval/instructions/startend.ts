import { z } from 'zod';
import { defineInstruction, kwargs } from '../instruction.ts';
import { pyStrip, pyStripChars } from '../py-text.ts';

export const endChecker = defineInstruction({
  id: 'startend:end_checker',
  description: 'The response ends with the given phrase (case-insensitive; a closing quote is ignored).',
  args: kwargs({ end_phrase: z.string() }),
  describe: ({ end_phrase }) => `Ends with the exact phrase "${pyStrip(end_phrase)}", with nothing after it.`,
  check: (text, { end_phrase }) =>
    pyStripChars(text.stripped, '"').toLowerCase().endsWith(pyStrip(end_phrase).toLowerCase()),
});

export const quotation = defineInstruction({
  id: 'startend:quotation',
  description: 'The entire response is wrapped in double quotation marks.',
  args: kwargs({}),
  describe: () => 'The entire response is wrapped in double quotation marks.',
  check: (text) => {
    const s = text.stripped;
    return s.length > 1 && s.startsWith('"') && s.endsWith('"');
  },
});

export const startEndInstructions = [endChecker, quotation];
