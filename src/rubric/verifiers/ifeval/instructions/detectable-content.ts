import { Count, defineInstruction, kwargs, NonEmptyText } from '../instruction.ts';
import { PY_SPACE_CLASS, pyStrip } from '../py-text.ts';
import { countMatches } from './regex-cache.ts';

const PLACEHOLDER = /\[[^\n]*?\]/g;

export const numberPlaceholders = defineInstruction({
  id: 'detectable_content:number_placeholders',
  description: 'At least the given number of placeholders in square brackets, such as [address].',
  args: kwargs({ num_placeholders: Count }),
  describe: ({ num_placeholders }) =>
    `At least ${num_placeholders} placeholders in square brackets, such as [address].`,
  check: (text, { num_placeholders }) => countMatches(PLACEHOLDER, text.text) >= num_placeholders,
});

// Marker spellings the reference accepts for its two standard markers (in the lower-cased text).
const P_P_S = new RegExp(`p\\.[${PY_SPACE_CLASS}]?p\\.[${PY_SPACE_CLASS}]?s`, 'u');
const P_S = new RegExp(`p\\.[${PY_SPACE_CLASS}]?s\\.`, 'u');

export const postscript = defineInstruction({
  id: 'detectable_content:postscript',
  description: 'A postscript starting with the given marker (P.S., P.P.S or another), anywhere in the text.',
  args: kwargs({ postscript_marker: NonEmptyText }),
  describe: ({ postscript_marker }) => `A postscript starting with ${pyStrip(postscript_marker)}.`,
  check: (text, { postscript_marker }) => {
    const marker = pyStrip(postscript_marker);
    if (marker === 'P.P.S') return P_P_S.test(text.lower);
    if (marker === 'P.S.') return P_S.test(text.lower);
    return text.lower.includes(marker.toLowerCase());
  },
});

export const detectableContentInstructions = [numberPlaceholders, postscript];
