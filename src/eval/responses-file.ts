import { z } from 'zod';
import { readJsonl } from '../util/jsonl.ts';
import type { OutsideResponse } from './run-eval.ts';

/**
 * One line of a responses file given to `anchorage eval --responses`: the prompt it answers, by key
 * (IFEval's numeric keys, or a prompt source's string ids such as `constraints/s3-0`) or by its exact
 * text, and the response. A response that is not a string (IFEval's null) is scored as an empty answer.
 */
export const ResponseLine = z
  .object({
    key: z.union([z.number().int(), z.string().min(1)]).optional(),
    prompt: z.string().optional(),
    response: z.custom<unknown>((v) => v !== undefined, {
      message: 'a `response` field (null for no response)',
    }),
  })
  .refine((r) => r.key !== undefined || r.prompt !== undefined, { message: 'a `key` or a `prompt` field' });

/** Reads a responses file into the responses `scoreResponses` takes; errors name the file and line. */
export function readResponsesFile(file: string): OutsideResponse[] {
  return readJsonl({ file, schema: ResponseLine }).map(({ value, line }) => ({
    ...(value.key === undefined ? {} : { key: String(value.key) }),
    ...(value.prompt === undefined ? {} : { text: value.prompt }),
    response: typeof value.response === 'string' ? value.response : '',
    location: { file, line },
  }));
}
