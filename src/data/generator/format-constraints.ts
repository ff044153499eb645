import { type ConstraintType, phrase } from './constraint-type.ts';

/** Constraints on length, layout, and how the response starts and ends. */

const FIRST_WORDS = [
  'today',
  'however',
  'finally',
  'meanwhile',
  'still',
  'later',
  'yet',
  'then',
  'now',
  'sometimes',
];
const END_PHRASES = [
  'That is all for now.',
  'Thank you for reading.',
  'Until next time.',
  'And that is the whole story.',
  'Let me know what you think.',
  'Stay curious.',
];
const SECTION_MARKERS = ['Section', 'SECTION', 'Part', 'PART'];

/** Types that fix how the text is cut into blocks; only one of them per prompt. */
const BLOCK_TYPES = [
  'length_constraints:number_paragraphs',
  'length_constraints:nth_paragraph_first_word',
  'detectable_format:multiple_sections',
  'combination:two_responses',
];

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
const round10 = (n: number) => Math.max(10, Math.round(n / 10) * 10);

export const numberWords: ConstraintType = {
  id: 'length_constraints:number_words',
  conflicts: ['length_constraints:number_sentences'],
  sample: ({ rng, budgetWords: b }) => {
    const atLeast = rng.chance(0.5);
    const n = atLeast
      ? round10(rng.int(Math.floor(b * 0.15), Math.floor(b * 0.5)))
      : round10(rng.int(Math.floor(b * 0.5), b));
    return {
      id: 'length_constraints:number_words',
      kwargs: { num_words: n, relation: atLeast ? 'at least' : 'less than' },
      text: atLeast
        ? phrase(rng, [`Write at least ${n} words.`, `Your response should be ${n} words or longer.`])
        : phrase(rng, [`Answer in fewer than ${n} words.`, `Keep your response under ${n} words.`]),
      requires: [],
    };
  },
};

export const numberSentences: ConstraintType = {
  id: 'length_constraints:number_sentences',
  sample: ({ rng, budgetWords: b }) => {
    const atLeast = rng.chance(0.5);
    const n = atLeast
      ? rng.int(2, Math.max(2, Math.floor(b / 25)))
      : rng.int(Math.max(3, Math.floor(b / 40)), Math.max(4, Math.floor(b / 12)));
    return {
      id: 'length_constraints:number_sentences',
      kwargs: { num_sentences: n, relation: atLeast ? 'at least' : 'less than' },
      text: atLeast
        ? phrase(rng, [
            `Write at least ${n} sentences.`,
            `Your response should contain ${n} or more sentences.`,
          ])
        : phrase(rng, [`Use fewer than ${n} sentences.`, `Keep it to at most ${n - 1} sentences.`]),
      requires: [],
    };
  },
};

export const numberParagraphs: ConstraintType = {
  id: 'length_constraints:number_paragraphs',
  conflicts: [...BLOCK_TYPES, 'detectable_content:postscript'],
  sample: ({ rng, budgetWords: b }) => {
    const n = rng.int(2, clamp(Math.floor(b / 40), 2, 5));
    return {
      id: 'length_constraints:number_paragraphs',
      kwargs: { num_paragraphs: n },
      text: phrase(rng, [
        `Write exactly ${n} paragraphs, separated from each other by the markdown divider ***.`,
        `Your response must have ${n} paragraphs, with a line of three asterisks (***) between paragraphs.`,
      ]),
      requires: ['***'],
    };
  },
};

export const nthParagraphFirstWord: ConstraintType = {
  id: 'length_constraints:nth_paragraph_first_word',
  // A title line would be the first word of paragraph 1; a postscript would be one more paragraph.
  conflicts: [
    ...BLOCK_TYPES,
    'detectable_content:postscript',
    'detectable_format:number_bullet_lists',
    'detectable_format:title',
  ],
  sample: ({ rng, budgetWords: b }) => {
    const n = rng.int(2, clamp(Math.floor(b / 40), 2, 4));
    const nth = rng.int(1, n);
    const word = rng.pick(FIRST_WORDS);
    return {
      id: 'length_constraints:nth_paragraph_first_word',
      kwargs: { num_paragraphs: n, nth_paragraph: nth, first_word: word },
      text: phrase(rng, [
        `Write exactly ${n} paragraphs separated by blank lines, and start paragraph ${nth} with the word "${cap(word)}".`,
        `Your response should have ${n} paragraphs, each separated by an empty line; paragraph number ${nth} must begin with "${cap(word)}".`,
      ]),
      requires: [word],
    };
  },
};

export const numberPlaceholders: ConstraintType = {
  id: 'detectable_content:number_placeholders',
  sample: ({ rng }) => {
    const n = rng.int(1, 3);
    return {
      id: 'detectable_content:number_placeholders',
      kwargs: { num_placeholders: n },
      text: phrase(rng, [
        `Include at least ${n} ${n === 1 ? 'placeholder' : 'placeholders'} in square brackets, such as [name].`,
        `Leave at least ${n} ${n === 1 ? 'blank' : 'blanks'} for the reader to fill in, written in square brackets like [date].`,
      ]),
      requires: [],
    };
  },
};

export const postscript: ConstraintType = {
  id: 'detectable_content:postscript',
  conflicts: ['startend:end_checker', 'combination:two_responses'],
  sample: ({ rng }) => {
    const marker = rng.pick(['P.S.', 'P.P.S']);
    return {
      id: 'detectable_content:postscript',
      kwargs: { postscript_marker: marker },
      text: phrase(rng, [
        `End with a postscript that starts with ${marker}`,
        `Add a postscript at the very end, beginning with "${marker}".`,
      ]).replace(/([^.])$/, '$1.'),
      requires: [marker],
    };
  },
};

export const numberBulletLists: ConstraintType = {
  id: 'detectable_format:number_bullet_lists',
  conflicts: [
    'combination:two_responses',
    'startend:quotation',
    'detectable_format:number_highlighted_sections',
  ],
  sample: ({ rng, budgetWords: b }) => {
    const n = rng.int(2, clamp(Math.floor(b / 15), 2, 6));
    return {
      id: 'detectable_format:number_bullet_lists',
      kwargs: { num_bullets: n },
      text: phrase(rng, [
        `Use exactly ${n} markdown bullet points (lines starting with "* "), and no other lines starting with * or -.`,
        `Format the answer as exactly ${n} bullet points written with "* " at the start of each.`,
      ]),
      requires: [],
    };
  },
};

export const constrainedResponse: ConstraintType = {
  id: 'detectable_format:constrained_response',
  conflicts: ['combination:two_responses'],
  appliesTo: (task) => task.kind === 'question',
  sample: ({ rng }) => {
    const answer = 'My answer is yes.", "My answer is no.", or "My answer is maybe.';
    return {
      id: 'detectable_format:constrained_response',
      kwargs: {},
      text: phrase(rng, [
        `Include one of these exact sentences: "${answer}"`,
        `State your verdict with exactly one of "${answer}"`,
      ]),
      requires: ['My answer is'],
    };
  },
};

export const numberHighlightedSections: ConstraintType = {
  id: 'detectable_format:number_highlighted_sections',
  sample: ({ rng, budgetWords: b }) => {
    const n = rng.int(1, clamp(Math.floor(b / 30), 1, 4));
    return {
      id: 'detectable_format:number_highlighted_sections',
      kwargs: { num_highlights: n },
      text: phrase(rng, [
        `Highlight at least ${n} ${n === 1 ? 'part' : 'parts'} of your answer with markdown italics, *like this*.`,
        `Mark at least ${n} ${n === 1 ? 'phrase' : 'phrases'} as highlighted using asterisks, for example *key idea*.`,
      ]),
      requires: [],
    };
  },
};

export const multipleSections: ConstraintType = {
  id: 'detectable_format:multiple_sections',
  conflicts: BLOCK_TYPES,
  sample: ({ rng, budgetWords: b }) => {
    const n = rng.int(2, clamp(Math.floor(b / 40), 2, 4));
    const marker = rng.pick(SECTION_MARKERS);
    return {
      id: 'detectable_format:multiple_sections',
      kwargs: { section_spliter: marker, num_sections: n },
      text: phrase(rng, [
        `Divide your response into ${n} sections, each starting with "${marker} X" where X is its number (${marker} 1, ${marker} 2, ...).`,
        `Organise the answer in ${n} numbered sections headed ${marker} 1, ${marker} 2 and so on.`,
      ]),
      requires: [marker],
    };
  },
};

export const jsonFormat: ConstraintType = {
  id: 'detectable_format:json_format',
  combinesOnlyWith: [
    'keywords:existence',
    'keywords:frequency',
    'keywords:forbidden_words',
    'keywords:letter_frequency',
    'length_constraints:number_words',
    'detectable_content:number_placeholders',
    'change_case:english_lowercase',
  ],
  sample: ({ rng }) => ({
    id: 'detectable_format:json_format',
    kwargs: {},
    text: phrase(rng, [
      'Give your entire answer as JSON; a markdown code fence around it is fine.',
      'Format the whole output as a JSON object, with nothing outside it (``` fences allowed).',
    ]),
    requires: [],
  }),
};

export const title: ConstraintType = {
  id: 'detectable_format:title',
  sample: ({ rng }) => ({
    id: 'detectable_format:title',
    kwargs: {},
    text: phrase(rng, [
      'Give your response a title wrapped in double angular brackets, such as <<a quiet harbour>>.',
      'Start with a title inside double angle brackets, like <<my title>>.',
    ]),
    requires: [],
  }),
};

export const twoResponses: ConstraintType = {
  id: 'combination:two_responses',
  conflicts: [...BLOCK_TYPES, 'startend:quotation', 'startend:end_checker'],
  sample: ({ rng }) => ({
    id: 'combination:two_responses',
    kwargs: {},
    text: phrase(rng, [
      'Give two different responses, separated by a line of six asterisks: ******',
      'Write two distinct answers and put six asterisks (******) between them.',
    ]),
    requires: ['******'],
  }),
};

export const repeatPrompt: ConstraintType = {
  id: 'combination:repeat_prompt',
  combinesOnlyWith: [
    'keywords:existence',
    'length_constraints:number_words',
    'detectable_format:number_highlighted_sections',
    'detectable_content:number_placeholders',
    'detectable_content:postscript',
    'startend:end_checker',
    'detectable_format:title',
    'detectable_format:number_bullet_lists',
  ],
  sample: ({ rng, task }) => ({
    id: 'combination:repeat_prompt',
    kwargs: { prompt_to_repeat: task.text },
    text: phrase(rng, [
      `Begin your response by repeating the task "${task.text}" word for word, with nothing before it; then answer it.`,
      `First copy the request "${task.text}" exactly as written (only that sentence, not these instructions), then give your answer.`,
    ]),
    requires: [task.text],
  }),
};

export const endChecker: ConstraintType = {
  id: 'startend:end_checker',
  sample: ({ rng }) => {
    const end = rng.pick(END_PHRASES);
    return {
      id: 'startend:end_checker',
      kwargs: { end_phrase: end },
      text: phrase(rng, [
        `Finish your response with the exact phrase "${end}" and nothing after it.`,
        `The last words of your answer must be "${end}"`,
      ]).replace(/"$/, '".'),
      requires: [end],
    };
  },
};

export const quotation: ConstraintType = {
  id: 'startend:quotation',
  sample: ({ rng }) => ({
    id: 'startend:quotation',
    kwargs: {},
    text: phrase(rng, [
      'Wrap your entire response in double quotation marks.',
      'Put the whole answer inside one pair of double quotes.',
    ]),
    requires: [],
  }),
};

export const FORMAT_CONSTRAINTS: readonly ConstraintType[] = [
  numberWords,
  numberSentences,
  numberParagraphs,
  nthParagraphFirstWord,
  numberPlaceholders,
  postscript,
  numberBulletLists,
  constrainedResponse,
  numberHighlightedSections,
  multipleSections,
  jsonFormat,
  title,
  twoResponses,
  repeatPrompt,
  endChecker,
  quotation,
];
