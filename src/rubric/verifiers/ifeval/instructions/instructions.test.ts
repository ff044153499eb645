import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { followsInstruction, type IfevalMode } from '../evaluate.ts';
import { IFEVAL_INSTRUCTIONS, ifevalInstruction } from './index.ts';

interface Example {
  id: string;
  args: Record<string, unknown>;
  response: string;
  strict: boolean;
  /** Loose verdict when it differs from the strict one. */
  loose?: boolean;
  /** Why our verdict deliberately differs from the reference's on this case. */
  deviation?: string;
}

const bullets = '* one\n* two\n- three';
const json = '```json\n{"a": [1, 2, NaN]}\n```';

/**
 * Hand-written cases. Every one without a `deviation` gives the same strict and loose verdicts as
 * the reference implementation run on it.
 */
const EXAMPLES: Example[] = [
  {
    id: 'keywords:existence',
    args: { keywords: ['Rocket', 'moon'] },
    response: 'A rocket to the MOON.',
    strict: true,
  },
  {
    id: 'keywords:existence',
    args: { keywords: ['rocket', 'mars'] },
    response: 'A rocket to the moon.',
    strict: false,
  },
  {
    id: 'keywords:existence',
    args: { keywords: ['e.g.'] },
    response: 'eggs',
    strict: false,
    deviation: 'the reference searches the keyword as a regular expression, where "." matches any character',
  },
  {
    id: 'keywords:frequency',
    args: { keyword: 'cat', frequency: 3, relation: 'at least' },
    response: 'Cat, cat, CATS.',
    strict: true,
  },
  {
    id: 'keywords:frequency',
    args: { keyword: 'cat', frequency: 3, relation: 'less than' },
    response: 'Cat, cat, CATS.',
    strict: false,
  },
  {
    id: 'keywords:forbidden_words',
    args: { forbidden_words: ['cat', 'dog'] },
    response: 'Concatenate the dogs.',
    strict: true,
  },
  {
    id: 'keywords:forbidden_words',
    args: { forbidden_words: ['cat'] },
    response: 'A CAT sat.',
    strict: false,
  },
  {
    id: 'keywords:letter_frequency',
    args: { letter: 'q', let_frequency: 2, let_relation: 'at least' },
    response: 'Quick quiz.',
    strict: true,
  },
  {
    id: 'keywords:letter_frequency',
    args: { letter: '!', let_frequency: 3, let_relation: 'at least' },
    response: 'Wow! Yes! Go!',
    strict: true,
    deviation: 'the reference replaces a letter that is not a-z by a random one',
  },
  {
    id: 'keywords:letter_frequency',
    args: { letter: 'z', let_frequency: 1, let_relation: 'less than' },
    response: 'Zebra',
    strict: false,
  },
  {
    id: 'language:response_language',
    args: { language: 'fr' },
    response: 'Le renard brun saute par-dessus le chien paresseux.',
    strict: true,
  },
  {
    id: 'language:response_language',
    args: { language: 'de' },
    response: 'The quick brown fox jumps over the lazy dog.',
    strict: false,
  },
  // Nothing to detect a language from: the reference counts the instruction as followed.
  { id: 'language:response_language', args: { language: 'de' }, response: '123 456', strict: true },
  {
    id: 'length_constraints:number_sentences',
    args: { num_sentences: 3, relation: 'less than' },
    response: 'One. Two.',
    strict: true,
  },
  {
    id: 'length_constraints:number_sentences',
    args: { num_sentences: 3, relation: 'at least' },
    response: 'Dr. Smith came. He left.',
    strict: false,
  },
  {
    id: 'length_constraints:number_paragraphs',
    args: { num_paragraphs: 2 },
    response: 'First.\n***\nSecond.\n***',
    strict: true,
  },
  {
    id: 'length_constraints:number_paragraphs',
    args: { num_paragraphs: 2 },
    response: 'First.\n***\n***\nSecond.',
    strict: false,
  },
  {
    id: 'length_constraints:number_words',
    args: { num_words: 5, relation: 'at least' },
    response: "It's a well-known fact.",
    strict: true,
  },
  {
    id: 'length_constraints:number_words',
    args: { num_words: 4, relation: 'less than' },
    response: 'one two three four',
    strict: false,
  },
  {
    id: 'length_constraints:nth_paragraph_first_word',
    args: { num_paragraphs: 2, nth_paragraph: 2, first_word: 'Then' },
    response: 'Intro here.\n\n"Then, the end.',
    strict: true,
  },
  {
    id: 'length_constraints:nth_paragraph_first_word',
    args: { num_paragraphs: 3, nth_paragraph: 2, first_word: 'then' },
    response: 'Intro here.\n\nThen the end.',
    strict: false,
  },
  {
    id: 'detectable_content:number_placeholders',
    args: { num_placeholders: 2 },
    response: 'Dear [name], see you at [place].',
    strict: true,
  },
  {
    id: 'detectable_content:number_placeholders',
    args: { num_placeholders: 2 },
    response: 'Dear [name\n], at [place].',
    strict: false,
  },
  {
    id: 'detectable_content:postscript',
    args: { postscript_marker: 'P.S.' },
    response: 'Hi.\n\np.s. bye',
    strict: true,
  },
  {
    id: 'detectable_content:postscript',
    args: { postscript_marker: 'P.P.S' },
    response: 'Hi.\n\nP.S. bye',
    strict: false,
  },
  { id: 'detectable_format:number_bullet_lists', args: { num_bullets: 3 }, response: bullets, strict: true },
  {
    id: 'detectable_format:number_bullet_lists',
    args: { num_bullets: 2 },
    response: bullets,
    strict: false,
    // Dropping the last line leaves two bullets.
    loose: true,
  },
  {
    id: 'detectable_format:constrained_response',
    args: {},
    response: 'Well. My answer is maybe.',
    strict: true,
  },
  { id: 'detectable_format:constrained_response', args: {}, response: 'My answer is: yes.', strict: false },
  {
    id: 'detectable_format:number_highlighted_sections',
    args: { num_highlights: 2 },
    response: '*one* and **two** and * *',
    strict: true,
  },
  {
    id: 'detectable_format:number_highlighted_sections',
    args: { num_highlights: 2 },
    response: '*one\ntwo*',
    strict: false,
  },
  {
    id: 'detectable_format:multiple_sections',
    args: { section_spliter: 'Section', num_sections: 2 },
    response: 'Section 1\nIntro\nSection 2\nBody',
    strict: true,
  },
  {
    id: 'detectable_format:multiple_sections',
    args: { section_spliter: 'SECTION', num_sections: 2 },
    response: 'Section 1\nIntro\nSection 2\nBody',
    strict: false,
  },
  { id: 'detectable_format:json_format', args: {}, response: json, strict: true },
  { id: 'detectable_format:json_format', args: {}, response: 'Here it is: {"a": 1}', strict: false },
  { id: 'detectable_format:title', args: {}, response: '<<A Poem>>\nRoses.', strict: true },
  { id: 'detectable_format:title', args: {}, response: '<< >>\nRoses.', strict: false },
  { id: 'combination:two_responses', args: {}, response: 'Yes.\n******\nNo.', strict: true },
  { id: 'combination:two_responses', args: {}, response: 'Yes.\n******\n******\nNo.', strict: false },
  {
    id: 'combination:repeat_prompt',
    args: { prompt_to_repeat: 'Write a poem.' },
    response: '  write a POEM. Roses are red.',
    strict: true,
  },
  {
    id: 'combination:repeat_prompt',
    args: { prompt_to_repeat: 'Write a poem.' },
    response: 'Sure!\nWrite a poem. Roses.',
    strict: false,
    loose: true,
  },
  {
    id: 'startend:end_checker',
    args: { end_phrase: 'Any other questions?' },
    response: 'Done. any other questions?"  ',
    strict: true,
  },
  {
    id: 'startend:end_checker',
    args: { end_phrase: 'Any other questions?' },
    response: 'Any other questions? Bye.',
    strict: false,
  },
  { id: 'startend:quotation', args: {}, response: ' "All of it." ', strict: true },
  { id: 'startend:quotation', args: {}, response: '"', strict: false },
  {
    id: 'change_case:capital_word_frequency',
    args: { capital_frequency: 3, capital_relation: 'at least' },
    response: "I DON'T know.",
    strict: true,
  },
  {
    id: 'change_case:capital_word_frequency',
    args: { capital_frequency: 2, capital_relation: 'less than' },
    response: 'NASA and ESA.',
    strict: false,
  },
  {
    id: 'change_case:english_capital',
    args: {},
    response: 'THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG.',
    strict: true,
  },
  {
    id: 'change_case:english_capital',
    args: {},
    response: 'LE RENARD BRUN SAUTE PAR-DESSUS LE CHIEN PARESSEUX.',
    strict: false,
  },
  {
    id: 'change_case:english_lowercase',
    args: {},
    response: 'the quick brown fox jumps over the lazy dog.',
    strict: true,
  },
  {
    id: 'change_case:english_lowercase',
    args: {},
    response: 'Title line\nthe quick brown fox jumps over the lazy dog.',
    strict: false,
    loose: true,
  },
  { id: 'punctuation:no_comma', args: {}, response: 'No commas here.', strict: true },
  { id: 'punctuation:no_comma', args: {}, response: 'One, two.', strict: false },
  // Markdown emphasis: loose mode also tries the text without asterisks.
  { id: 'startend:quotation', args: {}, response: '**"Bold quote"**', strict: false, loose: true },
];

function verdict(example: Example, mode: IfevalMode): boolean {
  const instruction = ifevalInstruction(example.id);
  const args = instruction.args.parse(example.args);
  return followsInstruction({ instruction, args, response: example.response, mode });
}

describe('IFEval instructions', () => {
  for (const [i, example] of EXAMPLES.entries()) {
    it(`${example.id} #${i}: strict ${example.strict}, loose ${example.loose ?? example.strict}`, () => {
      assert.equal(verdict(example, 'strict'), example.strict);
      assert.equal(verdict(example, 'loose'), example.loose ?? example.strict);
    });
  }

  it('has a passing and a failing example for every instruction', () => {
    for (const instruction of IFEVAL_INSTRUCTIONS) {
      const mine = EXAMPLES.filter((e) => e.id === instruction.id);
      assert.ok(
        mine.some((e) => e.strict),
        `${instruction.id} has a passing example`,
      );
      assert.ok(
        mine.some((e) => !e.strict),
        `${instruction.id} has a failing example`,
      );
    }
    assert.equal(IFEVAL_INSTRUCTIONS.length, 25);
  });

  it('fails blank and non-string responses without throwing', () => {
    for (const instruction of IFEVAL_INSTRUCTIONS) {
      const example = EXAMPLES.find((e) => e.id === instruction.id)!;
      const args = instruction.args.parse(example.args);
      for (const response of [null, undefined, 42, { text: 'x' }, '', '  \n ']) {
        for (const mode of ['strict', 'loose'] as const) {
          assert.equal(
            followsInstruction({ instruction, args, response, mode }),
            false,
            `${instruction.id} ${mode}`,
          );
        }
      }
    }
  });
});
