import { z } from 'zod';
import { Count, compare, defineInstruction, kwargs, Relation } from '../instruction.ts';
import { PY_SPACE_CLASS, pySplit, pyStrip } from '../py-text.ts';
import { cachedRegExp } from './regex-cache.ts';

export const numberSentences = defineInstruction({
  id: 'length_constraints:number_sentences',
  description: 'The number of sentences (Punkt, English model) is less than / at least the threshold.',
  args: kwargs({ num_sentences: Count, relation: Relation }),
  describe: ({ num_sentences, relation }) => `The response has ${relation} ${num_sentences} sentences.`,
  check: (text, { num_sentences, relation }) => compare(text.sentenceCount, relation, num_sentences),
});

export const numberWords = defineInstruction({
  id: 'length_constraints:number_words',
  description: 'The number of words (`\\w+` tokens) is less than / at least the threshold.',
  args: kwargs({ num_words: Count, relation: Relation }),
  describe: ({ num_words, relation }) => `The response has ${relation} ${num_words} words.`,
  check: (text, { num_words, relation }) => compare(text.wordCount, relation, num_words),
});

export const numberParagraphs = defineInstruction({
  id: 'length_constraints:number_paragraphs',
  description: 'Exactly the given number of paragraphs, separated by the markdown divider `***`.',
  args: kwargs({ num_paragraphs: Count }),
  describe: ({ num_paragraphs }) =>
    `Exactly ${num_paragraphs} paragraphs, separated by the markdown divider ***.`,
  check: (text, { num_paragraphs }) => {
    const paragraphs = text.text.split(
      cachedRegExp(`[${PY_SPACE_CLASS}]?\\*\\*\\*[${PY_SPACE_CLASS}]?`, 'u'),
    );
    let count = paragraphs.length;
    for (let i = 0; i < paragraphs.length; i++) {
      if (pyStrip(paragraphs[i]!) !== '') continue;
      // An empty piece is allowed only before the first or after the last divider.
      if (i === 0 || i === paragraphs.length - 1) count--;
      else return false;
    }
    return count === num_paragraphs;
  },
});

/** Characters that end the first word of a paragraph. */
const WORD_END = new Set(['.', ',', '?', '!', "'", '"']);

export const nthParagraphFirstWord = defineInstruction({
  id: 'length_constraints:nth_paragraph_first_word',
  description:
    'Exactly the given number of paragraphs separated by blank lines, and paragraph n starts with the word.',
  args: kwargs({
    num_paragraphs: Count,
    nth_paragraph: z.number().int().positive(),
    first_word: z.string(),
  }).refine((a) => a.nth_paragraph <= a.num_paragraphs, {
    message: 'nth_paragraph at most num_paragraphs',
    path: ['nth_paragraph'],
  }),
  describe: ({ num_paragraphs, nth_paragraph, first_word }) =>
    `Exactly ${num_paragraphs} paragraphs separated by blank lines; paragraph ${nth_paragraph} starts with the word "${first_word}".`,
  check: (text, { num_paragraphs, nth_paragraph, first_word }) => {
    const paragraphs = text.text.split('\n\n');
    let count = paragraphs.length;
    for (const p of paragraphs) if (pyStrip(p) === '') count--;
    // Like the reference, n indexes the raw pieces, blank ones included.
    if (nth_paragraph > count) return false;
    const paragraph = pyStrip(paragraphs[nth_paragraph - 1]!);
    if (paragraph === '') return false;
    const word = pySplit(paragraph)[0]!.replace(/^'+/, '').replace(/^"+/, '');
    let first = '';
    for (const ch of word) {
      if (WORD_END.has(ch)) break;
      first += ch.toLowerCase();
    }
    return count === num_paragraphs && first === first_word.toLowerCase();
  },
});

export const lengthInstructions = [numberSentences, numberWords, numberParagraphs, nthParagraphFirstWord];
