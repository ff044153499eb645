import { z } from 'zod';
import type { LocatedRubric } from '../rubric/corpus.ts';
import { RubricFile, RubricId } from '../rubric/schema.ts';

/**
 * One training or evaluation prompt. The text is either `prompt` (one user turn) or `messages` (a
 * conversation ending with a user turn). Its instance rubric, when it has one, is named by
 * `rubricId` (a rubric of the corpus) or written inline in `rubric`; rubrics that apply to many
 * prompts are attached by the run configuration instead (`rubrics.apply`).
 */
export const PromptId = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits and . _ : / - (starting with a letter or digit)');

export const ChatMessage = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** Tag on prompts of held-out benchmarks: they may be evaluated on, never trained on. */
export const EVAL_ONLY_TAG = 'eval-only';

export const PromptRecord = z
  .strictObject({
    id: PromptId,
    prompt: z.string().min(1).optional(),
    messages: z.array(ChatMessage).min(1).optional(),
    tags: z.array(z.string().min(1)).default([]),
    rubricId: RubricId.optional(),
    rubric: RubricFile.optional(),
    /** Where the prompt came from (benchmark and version, generator and seed, file). */
    source: z.string().optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.prompt === undefined) === (r.messages === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['prompt'],
        message: 'either `prompt` or `messages`, not both and not neither',
      });
    }
    if (r.messages !== undefined && r.messages.at(-1)?.role !== 'user') {
      ctx.addIssue({
        code: 'custom',
        path: ['messages', r.messages.length - 1, 'role'],
        message: 'the last message from the user',
      });
    }
    if (r.rubricId !== undefined && r.rubric !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['rubric'],
        message: 'either `rubricId` or an inline `rubric`, not both',
      });
    }
    if (r.rubric !== undefined && r.rubric.scope !== 'instance') {
      ctx.addIssue({
        code: 'custom',
        path: ['rubric', 'scope'],
        message: 'an inline rubric of scope instance',
      });
    }
  });
export type PromptRecord = z.infer<typeof PromptRecord>;
export type PromptRecordInput = z.input<typeof PromptRecord>;

/** A prompt with where it was read from (a file and line, or a generator), for error messages. */
export interface LocatedPrompt {
  record: PromptRecord;
  /** File, or a pseudo-file such as `generator:constraints` for generated prompts. */
  file: string;
  line: number;
  /** Name of the configured source it came from. */
  sourceName: string;
}

/** The text a grader sees as the prompt: `prompt`, or the last user message. */
export function promptText(record: PromptRecord): string {
  if (record.prompt !== undefined) return record.prompt;
  return record.messages?.at(-1)?.content ?? '';
}

/** The conversation to sample from: `messages`, or `prompt` as one user turn. */
export function promptMessages(record: PromptRecord): ChatMessage[] {
  return record.messages ?? [{ role: 'user', content: record.prompt ?? '' }];
}

/** The instance rubric of a prompt: its id, and the inline rubric as a corpus entry when inline. */
export function instanceRubricOf(
  prompt: LocatedPrompt,
): { id: string; inline: LocatedRubric | undefined } | undefined {
  const { record } = prompt;
  if (record.rubricId !== undefined) return { id: record.rubricId, inline: undefined };
  if (record.rubric === undefined) return undefined;
  return {
    id: record.rubric.id,
    inline: { value: record.rubric, file: prompt.file, line: prompt.line, index: 0 },
  };
}
