import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';
import { readTextFile } from '../util/read-text.ts';
import { describeIssue } from '../util/yaml-documents.ts';
import { writeFileAtomic } from './generated-file.ts';

/**
 * The reviewer's decisions on a folder of generated rubrics, kept in `review.json` in that folder and
 * rewritten (atomically) after each decision, so `anchorage rubrics review` continues where it stopped.
 */

export const DECISIONS_FILE = 'review.json';

export const Decision = z.strictObject({
  decision: z.enum(['accepted', 'rejected']),
  /** ISO 8601 time of the decision. */
  at: z.string().min(1),
  /** True when the reviewer edited the rubric before deciding. */
  edited: z.boolean().default(false),
  reason: z.string().optional(),
});
export type Decision = z.infer<typeof Decision>;

export const DecisionsFile = z.strictObject({
  format: z.literal('anchorage.rubric-review/1'),
  /** Keyed by prompt id. */
  decisions: z.record(z.string(), Decision),
});
export type DecisionsFile = z.infer<typeof DecisionsFile>;

export function readDecisions(dir: string): DecisionsFile {
  const file = join(dir, DECISIONS_FILE);
  if (!existsSync(file)) return { format: 'anchorage.rubric-review/1', decisions: {} };
  let json: unknown;
  try {
    json = JSON.parse(readTextFile(file));
  } catch (cause) {
    if (cause instanceof ValidationError) throw cause;
    throw new ValidationError(`expected the review decisions (JSON): ${(cause as Error).message}`, {
      location: { file },
    });
  }
  const parsed = DecisionsFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`expected ${describeIssue(issue)}`, {
      location: { file, field: formatFieldPath(issue.path as PropertyKey[]) || '(file)' },
    });
  }
  return parsed.data;
}

export function writeDecisions(dir: string, decisions: DecisionsFile): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, DECISIONS_FILE), `${JSON.stringify(decisions, null, 2)}\n`);
}
