import { defineVerifier, type Verifier } from '../types.ts';
import { followsInstruction, IfevalMode } from './evaluate.ts';
import type { IfevalInstruction } from './instruction.ts';
import { IFEVAL_INSTRUCTIONS } from './instructions/index.ts';

/**
 * Each IFEval instruction as a pass/fail verifier named `ifeval.<instruction id>`. Its parameters
 * are the instruction's IFEval kwargs plus `mode` (`strict`, the default, or `loose`).
 */
export function ifevalVerifier(
  instruction: IfevalInstruction,
): Verifier<Record<string, unknown> & { mode: IfevalMode }> {
  const name = `ifeval.${instruction.id}`;
  const params = instruction.args.safeExtend({ mode: IfevalMode.default('strict') });
  return defineVerifier({
    name,
    description: `${instruction.description} (IFEval \`${instruction.id}\`; pass 1, fail 0; params: its kwargs and mode strict|loose)`,
    params: params as unknown as Verifier<Record<string, unknown> & { mode: IfevalMode }>['params'],
    verify: ({ response, params: { mode, ...args } }) => {
      if (typeof response !== 'string') return { score: 0, reason: `${name}: the response is not a string` };
      const ok = followsInstruction({ instruction, args, response, mode });
      return { score: ok ? 1 : 0, reason: `${name} (${mode}): ${ok ? 'followed' : 'not followed'}` };
    },
  });
}

export function buildIfevalVerifiers(): Verifier<never>[] {
  // The registry stores verifiers with their parameter type erased; each validates its own.
  return IFEVAL_INSTRUCTIONS.map((i) => ifevalVerifier(i) as unknown as Verifier<never>);
}
