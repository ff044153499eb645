import { z } from 'zod';
import {
  Count,
  compare,
  defineInstruction,
  kwargs,
  NonEmptyText,
  quotedList,
  Relation,
} from '../instruction.ts';
import { escapeRegExp, pyStrip, pyWholeWordPattern } from '../py-text.ts';
import { cachedRegExp, countMatches } from './regex-cache.ts';

// The reference passes keywords to `re.search` as patterns; IFEval's keywords are plain words, and
// we match them as literal text (case-insensitive) so that a keyword such as "e.g." means itself.

export const keywordsExistence = defineInstruction({
  id: 'keywords:existence',
  description: 'Include every one of the given keywords (case-insensitive, anywhere in the text).',
  args: kwargs({ keywords: z.array(z.string()).min(1) }),
  describe: ({ keywords }) => `Include the keywords ${quotedList(keywords)}.`,
  check: (text, { keywords }) => keywords.every((k) => cachedRegExp(escapeRegExp(k), 'iu').test(text.text)),
});

export const keywordsFrequency = defineInstruction({
  id: 'keywords:frequency',
  description: 'The keyword appears the given number of times (less than / at least), case-insensitive.',
  args: kwargs({ keyword: NonEmptyText, frequency: Count, relation: Relation }),
  describe: ({ keyword, frequency, relation }) =>
    `The word "${pyStrip(keyword)}" appears ${relation} ${frequency} times.`,
  check: (text, { keyword, frequency, relation }) =>
    compare(
      countMatches(cachedRegExp(escapeRegExp(pyStrip(keyword)), 'giu'), text.text),
      relation,
      frequency,
    ),
});

export const keywordsForbiddenWords = defineInstruction({
  id: 'keywords:forbidden_words',
  description: 'None of the given words appears as a whole word (case-insensitive).',
  args: kwargs({ forbidden_words: z.array(z.string()).min(1) }),
  describe: ({ forbidden_words }) => `Do not use the words ${quotedList(forbidden_words)}.`,
  check: (text, { forbidden_words }) =>
    !forbidden_words.some((w) => cachedRegExp(pyWholeWordPattern(w), 'iu').test(text.text)),
});

export const keywordsLetterFrequency = defineInstruction({
  id: 'keywords:letter_frequency',
  description: 'The letter appears the given number of times (less than / at least), case-insensitive.',
  // The reference draws a random letter when given anything but one ASCII letter (IFEval has "#"
  // and "!"); we count the character that was asked for instead.
  args: kwargs({
    letter: z.string().refine((s) => [...pyStrip(s)].length === 1, 'a single character'),
    let_frequency: Count,
    let_relation: Relation,
  }),
  describe: ({ letter, let_frequency, let_relation }) =>
    `The letter "${pyStrip(letter)}" appears ${let_relation} ${let_frequency} times.`,
  check: (text, { letter, let_frequency, let_relation }) =>
    compare(countOccurrences(text.lower, pyStrip(letter).toLowerCase()), let_relation, let_frequency),
});

function countOccurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

export const keywordInstructions = [
  keywordsExistence,
  keywordsFrequency,
  keywordsForbiddenWords,
  keywordsLetterFrequency,
];
