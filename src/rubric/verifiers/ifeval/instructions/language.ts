import { z } from 'zod';
import { defineInstruction, kwargs } from '../instruction.ts';
import { DETECTABLE_LANGUAGES } from '../langdetect/detector.ts';

/** English names of the detectable languages, for descriptions. */
const LANGUAGE_NAMES: Record<string, string> = {
  af: 'Afrikaans',
  ar: 'Arabic',
  bg: 'Bulgarian',
  bn: 'Bengali',
  ca: 'Catalan',
  cs: 'Czech',
  cy: 'Welsh',
  da: 'Danish',
  de: 'German',
  el: 'Greek',
  en: 'English',
  es: 'Spanish',
  et: 'Estonian',
  fa: 'Persian',
  fi: 'Finnish',
  fr: 'French',
  gu: 'Gujarati',
  he: 'Hebrew',
  hi: 'Hindi',
  hr: 'Croatian',
  hu: 'Hungarian',
  id: 'Indonesian',
  it: 'Italian',
  ja: 'Japanese',
  kn: 'Kannada',
  ko: 'Korean',
  lt: 'Lithuanian',
  lv: 'Latvian',
  mk: 'Macedonian',
  ml: 'Malayalam',
  mr: 'Marathi',
  ne: 'Nepali',
  nl: 'Dutch',
  no: 'Norwegian',
  pa: 'Punjabi',
  pl: 'Polish',
  pt: 'Portuguese',
  ro: 'Romanian',
  ru: 'Russian',
  sk: 'Slovak',
  sl: 'Slovenian',
  so: 'Somali',
  sq: 'Albanian',
  sv: 'Swedish',
  sw: 'Swahili',
  ta: 'Tamil',
  te: 'Telugu',
  th: 'Thai',
  tl: 'Tagalog',
  tr: 'Turkish',
  uk: 'Ukrainian',
  ur: 'Urdu',
  vi: 'Vietnamese',
  'zh-cn': 'Chinese (simplified)',
  'zh-tw': 'Chinese (traditional)',
};

export const responseLanguage = defineInstruction({
  id: 'language:response_language',
  description: 'The whole response is in the given language (ISO 639-1 code, as langdetect detects it).',
  args: kwargs({
    language: z.string().refine((code) => DETECTABLE_LANGUAGES.includes(code), {
      message: `one of the detectable language codes: ${DETECTABLE_LANGUAGES.join(', ')}`,
    }),
  }),
  // Like the reference, a text with nothing to detect from counts as following the instruction.
  describe: ({ language }) =>
    `The entire response is in ${LANGUAGE_NAMES[language] ?? language}, and in no other language.`,
  check: (text, { language }) => text.language === null || text.language === language,
});

export const languageInstructions = [responseLanguage];
