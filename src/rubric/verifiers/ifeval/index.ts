import type { Verifier } from '../types.ts';
import { buildIfevalVerifiers } from './verifiers.ts';

export type { CompiledIfevalPrompt } from './evaluate.ts';
export { compileIfevalPrompt, evaluateIfevalPrompt, IfevalMode, IfevalPromptRecord } from './evaluate.ts';
export { IFEVAL_INSTRUCTIONS } from './instructions/index.ts';

/** The ifeval verifier family: the 25 IFEval instructions, `ifeval.<instruction id>`. */
export const ifevalVerifiers: Verifier<never>[] = buildIfevalVerifiers();
