import { z } from 'zod';
import { FinishReasonSchema } from '../engine/generation/generation-types.ts';
import { appendKeyedLine, readKeyedLines } from './keyed-lines.ts';

/**
 * The answers of an evaluation, one JSON line per prompt, appended as each answer finishes. A
 * stopped evaluation resumes from it: answered prompts are never generated again (see
 * keyed-lines.ts for how a line cut short by a crash is handled).
 */
export const AnswerLine = z.object({
  /** The prompt's key in its suite. */
  key: z.string().min(1),
  response: z.string(),
  /** Why generation ended; null for answers given from outside (a responses file). */
  finishReason: FinishReasonSchema.nullable(),
  /** New tokens generated (the stop token included); null for answers given from outside. */
  tokens: z.number().int().nonnegative().nullable(),
});
export type AnswerLine = z.infer<typeof AnswerLine>;

/**
 * The answers so far. A last line cut short by a crash is dropped and cut from the file, so that
 * the next append starts a line of its own.
 */
export function readAnswers(file: string): { answers: Map<string, AnswerLine>; droppedLastLine: boolean } {
  const { records, droppedLastLine } = readKeyedLines({ file, schema: AnswerLine, what: 'answer' });
  return { answers: records, droppedLastLine };
}

/** Appends one answer as a whole line (a line cut short by a crash is dropped on resume). */
export function appendAnswer(file: string, answer: AnswerLine): void {
  appendKeyedLine({ file, schema: AnswerLine, record: answer });
}
