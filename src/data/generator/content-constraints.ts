import { type ConstraintType, containsWord, phrase, quotedList } from './constraint-type.ts';

/**
 * Constraints on words, letters, language and case. Pools are chosen so that any word fits any
 * task; the phrasings are the project's own, several per type.
 */

const KEYWORDS = [
  'lantern',
  'harbour',
  'copper',
  'orchard',
  'whistle',
  'meadow',
  'ladder',
  'compass',
  'velvet',
  'thunder',
  'pepper',
  'window',
  'ribbon',
  'glacier',
  'violin',
  'marble',
  'bicycle',
  'candle',
  'pocket',
  'kettle',
];
const FORBIDDEN = [
  'very',
  'really',
  'just',
  'actually',
  'basically',
  'important',
  'delve',
  'crucial',
  'amazing',
  'unique',
  'truly',
  'simply',
  'overall',
  'things',
];
const LANGUAGES: ReadonlyArray<[code: string, name: string]> = [
  ['fr', 'French'],
  ['de', 'German'],
  ['es', 'Spanish'],
  ['it', 'Italian'],
  ['pt', 'Portuguese'],
];
const COMMON_LETTERS = ['e', 't', 'a', 'o', 's', 'n', 'r', 'i'];
const RARE_LETTERS = ['z', 'q', 'x', 'j'];

/** Types whose checks look for English words, phrases or markers in the response. */
const ENGLISH_TEXT = [
  'keywords:existence',
  'keywords:frequency',
  'keywords:forbidden_words',
  'detectable_format:constrained_response',
  'startend:end_checker',
  'combination:repeat_prompt',
  'length_constraints:nth_paragraph_first_word',
  'detectable_format:multiple_sections',
];
const CASE_TYPES = [
  'change_case:english_capital',
  'change_case:english_lowercase',
  'change_case:capital_word_frequency',
];

export const keywordsExistence: ConstraintType = {
  id: 'keywords:existence',
  sample: ({ rng }) => {
    const keywords = rng.sample(KEYWORDS, rng.int(1, 2));
    const list = quotedList(keywords);
    return {
      id: 'keywords:existence',
      kwargs: { keywords },
      text: phrase(rng, [
        `Include the ${keywords.length === 1 ? 'word' : 'words'} ${list} in your response.`,
        `Make sure ${list} ${keywords.length === 1 ? 'appears' : 'both appear'} somewhere in your answer.`,
        `Work the ${keywords.length === 1 ? 'word' : 'words'} ${list} into what you write.`,
      ]),
      requires: keywords,
    };
  },
};

export const keywordsFrequency: ConstraintType = {
  id: 'keywords:frequency',
  sample: ({ rng }) => {
    const keyword = rng.pick(KEYWORDS);
    const atLeast = rng.chance(0.6);
    const frequency = atLeast ? rng.int(2, 3) : rng.int(2, 4);
    const text = atLeast
      ? phrase(rng, [
          `Use the word "${keyword}" at least ${frequency} times.`,
          `The word "${keyword}" should appear ${frequency} or more times in your response.`,
        ])
      : phrase(rng, [
          `Use the word "${keyword}" fewer than ${frequency} times.`,
          `Do not use the word "${keyword}" more than ${frequency - 1} ${frequency - 1 === 1 ? 'time' : 'times'}.`,
        ]);
    return {
      id: 'keywords:frequency',
      kwargs: { keyword, frequency, relation: atLeast ? 'at least' : 'less than' },
      text,
      requires: atLeast ? [keyword] : [],
      ...(atLeast ? {} : { bans: (t: string) => t.toLowerCase().split(keyword).length - 1 >= frequency }),
    };
  },
};

/** Words a request asks for by its nature ("write", "describe") rather than by its topic. */
const REQUEST_WORDS = new Set(
  (
    'write describe explain give suggest propose list short someone about their which where while should would could ' +
    'after before point things with from that this what into your them they when some have keep how why who does ' +
    'over under more most than then there these those'
  ).split(' '),
);

/** The topic words of a task (four letters or more, request words left out), each once. */
export function taskWords(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  return [...new Set(words.filter((w) => w.length >= 4 && !REQUEST_WORDS.has(w)))];
}

/**
 * Forbidden words: by default from a list of filler words any task can do without. With
 * `forbidTaskWords`, some prompts forbid topic words of their own task instead ("rain" in a poem about
 * rain): words the base model uses, so it fails them from the first step and learns what "avoid"
 * means, where list words pass from the start and carry no advantage until a policy that learned to
 * echo quoted words ("include the words ...") starts using them too.
 */
export const keywordsForbiddenWords: ConstraintType = {
  id: 'keywords:forbidden_words',
  sample: ({ rng, task, forbidTaskWords }) => {
    const own = forbidTaskWords > 0 && rng.chance(forbidTaskWords) ? taskWords(task.text) : [];
    const words =
      own.length >= 2
        ? rng.sample(own, Math.min(own.length, rng.int(2, 3)))
        : rng.sample(FORBIDDEN, rng.int(2, 3));
    const list = quotedList(words);
    return {
      id: 'keywords:forbidden_words',
      kwargs: { forbidden_words: words },
      text: phrase(rng, [
        `Do not use the words ${list} anywhere in your response.`,
        `Avoid the words ${list}.`,
        `Your answer must not contain the words ${list}.`,
      ]),
      requires: [],
      bans: (t) => words.some((w) => containsWord(t, w)),
    };
  },
};

export const letterFrequency: ConstraintType = {
  id: 'keywords:letter_frequency',
  sample: ({ rng, budgetWords }) => {
    const mode = rng.pick(['common', 'rare-max'] as const);
    const letter = rng.pick(mode === 'common' ? COMMON_LETTERS : RARE_LETTERS);
    const atLeast = mode === 'common';
    const n = atLeast
      ? rng.int(Math.max(3, Math.floor(budgetWords / 20)), Math.max(4, Math.floor(budgetWords / 8)))
      : rng.int(2, 4);
    const text = atLeast
      ? phrase(rng, [
          `The letter "${letter}" should appear at least ${n} times in your response.`,
          `Use the letter ${letter} at least ${n} times.`,
        ])
      : phrase(rng, [
          `Use the letter "${letter}" fewer than ${n} times in your whole response.`,
          `The letter ${letter} may appear at most ${n - 1} ${n - 1 === 1 ? 'time' : 'times'}.`,
        ]);
    return {
      id: 'keywords:letter_frequency',
      kwargs: { letter, let_frequency: n, let_relation: atLeast ? 'at least' : 'less than' },
      text,
      requires: [],
      ...(atLeast ? {} : { bans: (t: string) => t.toLowerCase().split(letter).length - 1 >= n }),
    };
  },
};

export const responseLanguage: ConstraintType = {
  id: 'language:response_language',
  conflicts: [...ENGLISH_TEXT, ...CASE_TYPES, 'detectable_format:json_format'],
  sample: ({ rng }) => {
    const [code, name] = rng.pick(LANGUAGES);
    return {
      id: 'language:response_language',
      kwargs: { language: code },
      text: phrase(rng, [
        `Write your entire response in ${name}; no other language is allowed.`,
        `Answer only in ${name}.`,
        `The whole response must be written in ${name}.`,
      ]),
      requires: [],
    };
  },
};

export const capitalWordFrequency: ConstraintType = {
  id: 'change_case:capital_word_frequency',
  conflicts: [...CASE_TYPES, 'detectable_format:multiple_sections'],
  sample: ({ rng }) => {
    const atLeast = rng.chance(0.5);
    // At least 3 for "fewer than": a marker such as P.S. may count as one capitalised word.
    const n = atLeast ? rng.int(2, 5) : rng.int(3, 6);
    return {
      id: 'change_case:capital_word_frequency',
      kwargs: { capital_frequency: n, capital_relation: atLeast ? 'at least' : 'less than' },
      text: atLeast
        ? phrase(rng, [
            `Write at least ${n} words entirely in capital letters, for emphasis.`,
            `Include ${n} or more words in ALL CAPITALS.`,
          ])
        : phrase(rng, [
            `Use fewer than ${n} words written entirely in capital letters.`,
            `No more than ${n - 1} ${n - 1 === 1 ? 'word' : 'words'} may be written in all capital letters.`,
          ]),
      requires: [],
    };
  },
};

export const englishCapital: ConstraintType = {
  id: 'change_case:english_capital',
  conflicts: [...CASE_TYPES, 'detectable_format:multiple_sections', 'detectable_format:constrained_response'],
  sample: ({ rng }) => ({
    id: 'change_case:english_capital',
    kwargs: {},
    text: phrase(rng, [
      'Write your whole response in English, using capital letters only.',
      'Your entire answer must be in English and in upper case.',
      'Respond in English, in all capital letters.',
    ]),
    requires: [],
  }),
};

export const englishLowercase: ConstraintType = {
  id: 'change_case:english_lowercase',
  conflicts: [...CASE_TYPES, 'detectable_format:multiple_sections', 'detectable_format:constrained_response'],
  sample: ({ rng }) => ({
    id: 'change_case:english_lowercase',
    kwargs: {},
    text: phrase(rng, [
      'Write your whole response in English, in lowercase letters only; no capital letters at all.',
      'Use only lowercase letters, and write in English.',
      'Your entire answer must be in English and contain no capital letters.',
    ]),
    requires: [],
  }),
};

export const noComma: ConstraintType = {
  id: 'punctuation:no_comma',
  sample: ({ rng }) => ({
    id: 'punctuation:no_comma',
    kwargs: {},
    text: phrase(rng, ['Do not use any commas.', 'Avoid commas entirely.', 'Write without a single comma.']),
    requires: [],
    bans: (t) => t.includes(','),
  }),
};

export const CONTENT_CONSTRAINTS: readonly ConstraintType[] = [
  keywordsExistence,
  keywordsFrequency,
  keywordsForbiddenWords,
  letterFrequency,
  responseLanguage,
  capitalWordFrequency,
  englishCapital,
  englishLowercase,
  noComma,
];
