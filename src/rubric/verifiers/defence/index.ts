import type { Verifier } from '../types.ts';
import { aiDisclaimer } from './ai-disclaimer.ts';
import { graderInstructions } from './grader-instructions.ts';
import { graderTalk } from './grader-talk.ts';
import { placeholderSoup } from './placeholders.ts';
import { questionPraise } from './question-praise.ts';
import { repetition } from './repetition.ts';
import { selfPraise } from './self-praise.ts';
import { substance } from './substance.ts';

/**
 * The defence verifier family: rules for reward-hacking tricks seen in high-reward rollouts (praising
 * the question, praising the answer, talking to or about the grader, degenerate repetition, answers too short to do the task, placeholder soup) and for
 * unprompted AI disclaimers. Each passes (1) or fails (0) with the offending span quoted.
 */
export const defenceVerifiers: Verifier<never>[] = [
  questionPraise,
  selfPraise,
  graderTalk,
  graderInstructions,
  aiDisclaimer,
  repetition,
  substance,
  placeholderSoup,
] as Verifier<never>[];
