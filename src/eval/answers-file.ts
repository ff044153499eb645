import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { z } from 'zod';
import { FinishReasonSchema } from '../engine/generation/generation-types.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * The answers of an evaluation, one JSON line per prompt, appended as each answer finishes. A
 * stopped evaluation resumes from it: answered prompts are never generated again. Only the last
 * line can be cut short by a crash; it is dropped (and regenerated), any other bad line is an error.
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
  const answers = new Map<string, AnswerLine>();
  if (!existsSync(file)) return { answers, droppedLastLine: false };
  const lines = readFileSync(file, 'utf8').split('\n');
  // A file ends with a newline when its last write completed: the piece after it is empty.
  const complete = lines.at(-1) === '';
  let droppedLastLine = false;
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const last = i === lines.length - 1;
    let parsed: z.ZodSafeParseResult<AnswerLine>;
    try {
      parsed = AnswerLine.safeParse(JSON.parse(raw));
    } catch (cause) {
      if (last && !complete) {
        droppedLastLine = true;
        return;
      }
      throw new ValidationError(`expected a JSON answer line: ${(cause as Error).message}`, {
        location: { file, line: i + 1 },
      });
    }
    if (!parsed.success) {
      if (last && !complete) {
        droppedLastLine = true;
        return;
      }
      const issue = parsed.error.issues[0];
      throw new ValidationError(`${issue?.message ?? 'invalid answer'}`, {
        location: { file, line: i + 1, field: issue?.path.join('.') ?? '' },
      });
    }
    if (answers.has(parsed.data.key)) {
      throw new ValidationError(`a second answer to prompt '${parsed.data.key}'`, {
        location: { file, line: i + 1 },
      });
    }
    answers.set(parsed.data.key, parsed.data);
  });
  if (droppedLastLine)
    truncateSync(file, Buffer.byteLength(lines.slice(0, -1).join('\n')) + (lines.length > 1 ? 1 : 0));
  return { answers, droppedLastLine };
}

/** Appends one answer as a whole line (a line cut short by a crash is dropped on resume). */
export function appendAnswer(file: string, answer: AnswerLine): void {
  appendFileSync(file, `${JSON.stringify(AnswerLine.parse(answer))}\n`);
}
