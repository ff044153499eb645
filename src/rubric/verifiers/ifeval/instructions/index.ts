import { UnknownNameError } from '../../../../util/errors.ts';
import type { IfevalInstruction } from '../instruction.ts';
import { changeCaseInstructions } from './change-case.ts';
import { combinationInstructions } from './combination.ts';
import { detectableContentInstructions } from './detectable-content.ts';
import { detectableFormatInstructions } from './detectable-format.ts';
import { keywordInstructions } from './keywords.ts';
import { languageInstructions } from './language.ts';
import { lengthInstructions } from './length.ts';
import { punctuationInstructions } from './punctuation.ts';
import { startEndInstructions } from './startend.ts';

/** The 25 instruction types of IFEval (Zhou et al., 2023), in the reference's registry order. */
export const IFEVAL_INSTRUCTIONS: readonly IfevalInstruction[] = [
  ...keywordInstructions,
  ...languageInstructions,
  ...lengthInstructions,
  ...detectableContentInstructions,
  ...detectableFormatInstructions,
  ...combinationInstructions,
  ...startEndInstructions,
  ...changeCaseInstructions,
  ...punctuationInstructions,
];

const byId = new Map(IFEVAL_INSTRUCTIONS.map((i) => [i.id, i]));

export function ifevalInstruction(id: string): IfevalInstruction {
  const instruction = byId.get(id);
  if (instruction === undefined) throw new UnknownNameError('IFEval instruction', id, [...byId.keys()]);
  return instruction;
}
