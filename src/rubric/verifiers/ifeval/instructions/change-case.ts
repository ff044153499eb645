import { z } from 'zod';
import { compare, defineInstruction, kwargs, Relation } from '../instruction.ts';

export const capitalWordFrequency = defineInstruction({
  id: 'change_case:capital_word_frequency',
  description: 'Words written in all capitals appear less than / at least the given number of times.',
  args: kwargs({ capital_frequency: z.number().int(), capital_relation: Relation }),
  describe: ({ capital_frequency, capital_relation }) =>
    `Words in all capital letters appear ${capital_relation} ${capital_frequency} times.`,
  check: (text, { capital_frequency, capital_relation }) =>
    compare(text.capitalWordCount, capital_relation, capital_frequency),
});

// Both case checks ask for English too. As in the reference, a text with nothing to detect a
// language from passes the language half.

export const englishCapital = defineInstruction({
  id: 'change_case:english_capital',
  description: 'The entire response is in English and in capital letters.',
  args: kwargs({}),
  describe: () => 'The entire response is in English and in capital letters.',
  check: (text) => text.isUpper && (text.language === null || text.language === 'en'),
});

export const englishLowercase = defineInstruction({
  id: 'change_case:english_lowercase',
  description: 'The entire response is in English and in lower-case letters.',
  args: kwargs({}),
  describe: () => 'The entire response is in English and in lower-case letters; no capital letters.',
  check: (text) => text.isLower && (text.language === null || text.language === 'en'),
});

export const changeCaseInstructions = [capitalWordFrequency, englishCapital, englishLowercase];
