import { z } from 'zod';
import { defineInstruction, kwargs } from '../instruction.ts';
import { DETECTABLE_LANGUAGES } from '../langdetect/detector.ts';

export const responseLanguage = defineInstruction({
  id: 'language:response_language',
  description: 'The whole response is in the given language (ISO 639-1 code, as langdetect detects it).',
  args: kwargs({
    language: z.string().refine((code) => DETECTABLE_LANGUAGES.includes(code), {
      message: `one of the detectable language codes: ${DETECTABLE_LANGUAGES.join(', ')}`,
    }),
  }),
  // Like the reference, a text with nothing to detect from counts as following the instruction.
  check: (text, { language }) => text.language === null || text.language === language,
});

export const languageInstructions = [responseLanguage];
