import { z } from 'zod';
import { type ErrorLocation, UnknownNameError, ValidationError } from '../../../util/errors.ts';
import { formatFieldPath } from '../../../util/field-path.ts';
import type { IfevalInstruction } from './instruction.ts';
import { ifevalInstruction } from './instructions/index.ts';
import { responseText } from './response-text.ts';

/**
 * Strict mode checks the response as written. Loose mode (the reference's upper bound) passes an
 * instruction when any of eight variants passes: the response without its first line, its last
 * line or both, each with and without `*` characters (markdown emphasis).
 */
export const IfevalMode = z.enum(['strict', 'loose']);
export type IfevalMode = z.infer<typeof IfevalMode>;

/** A line of an IFEval prompt file (`input_data.jsonl`). */
export const IfevalPromptRecord = z
  .object({
    key: z.number().int().optional(),
    prompt: z.string(),
    instruction_id_list: z.array(z.string()).min(1),
    kwargs: z.array(z.record(z.string(), z.unknown())),
  })
  .refine((r) => r.kwargs.length === r.instruction_id_list.length, {
    message: 'as many kwargs entries as instruction ids',
    path: ['kwargs'],
  });
export type IfevalPromptRecord = z.infer<typeof IfevalPromptRecord>;

/** A prompt record with its instructions looked up and their arguments validated. */
export interface CompiledIfevalPrompt {
  key: number | undefined;
  prompt: string;
  instructions: Array<{ id: string; instruction: IfevalInstruction; args: unknown }>;
}

/**
 * Looks up each instruction of a prompt record and validates its kwargs. Errors name the field
 * (`kwargs[1].num_words`) and, when given, the file and line.
 */
export function compileIfevalPrompt(options: {
  record: IfevalPromptRecord;
  location?: ErrorLocation;
}): CompiledIfevalPrompt {
  const { record, location = {} } = options;
  const instructions = record.instruction_id_list.map((id, i) => {
    let instruction: IfevalInstruction;
    try {
      instruction = ifevalInstruction(id);
    } catch (err) {
      if (!(err instanceof UnknownNameError)) throw err;
      throw new ValidationError(err.message, {
        location: { ...location, field: `instruction_id_list[${i}]` },
      });
    }
    const parsed = instruction.args.safeParse(record.kwargs[i]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError(`${id} arguments: ${issue.message}`, {
        location: {
          ...location,
          field: formatFieldPath(['kwargs', i, ...(issue.path as (string | number)[])]),
        },
      });
    }
    return { id, instruction, args: parsed.data };
  });
  return { key: record.key, prompt: record.prompt, instructions };
}

/**
 * Whether `response` follows one instruction. A response that is not a string, or is blank,
 * follows nothing (as in the reference, which checks `response.strip()` first).
 */
export function followsInstruction<A>(options: {
  instruction: IfevalInstruction;
  args: A;
  response: unknown;
  mode: IfevalMode;
}): boolean {
  const { instruction, args, response, mode } = options;
  if (typeof response !== 'string') return false;
  const base = responseText(response);
  if (mode === 'strict') return base.stripped !== '' && instruction.check(base, args as never);
  return base.looseVariants.some((v) => v.stripped !== '' && instruction.check(v, args as never));
}

/** Per-instruction verdicts of one response to one IFEval prompt, in the prompt's order. */
export function evaluateIfevalPrompt(options: {
  prompt: CompiledIfevalPrompt | IfevalPromptRecord;
  response: unknown;
  mode: IfevalMode;
}): boolean[] {
  const { response, mode } = options;
  const prompt =
    'instructions' in options.prompt ? options.prompt : compileIfevalPrompt({ record: options.prompt });
  return prompt.instructions.map(({ instruction, args }) =>
    followsInstruction({ instruction, args, response, mode }),
  );
}
