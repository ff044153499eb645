import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ChatMessage, type PromptRecord, promptMessages } from '../data/prompt-record.ts';
import { ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';
import { parseJsonl } from '../util/jsonl.ts';
import { readTextFile } from '../util/read-text.ts';
import { describeIssue } from '../util/yaml-documents.ts';
import { RubricFile } from '../rubric/schema.ts';

/**
 * The files `anchorage rubrics generate` writes in its output folder: one `<stem>.rubric.json` per
 * prompt whose rubric passed validation (the rubric with its provenance and the criteria removed as
 * near-duplicates), and `rejects.jsonl`, one line per prompt whose answers never became a valid
 * rubric. Both are what makes a rerun resumable: a prompt with either is not asked again.
 */

export const GENERATED_FORMAT = 'anchorage.generated-rubric/1';
export const REJECTS_FILE = 'rejects.jsonl';
export const GENERATED_SUFFIX = '.rubric.json';

export const Provenance = z.strictObject({
  /** The model named in the judge config, as sent in the request. */
  model: z.string().min(1),
  /** sha256 (hex) of the prompt's conversation as JSON (`promptHash`). */
  promptHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** ISO 8601 time of generation. */
  date: z.string().min(1),
  /** Requests it took: 1, or 2 when the first answer was not a valid rubric. */
  attempts: z.number().int().positive(),
  /** Set when a reviewer changed the rubric in `anchorage rubrics review`. */
  editedAt: z.string().optional(),
});
export type Provenance = z.infer<typeof Provenance>;

export const GeneratedRubric = z.strictObject({
  format: z.literal(GENERATED_FORMAT),
  promptId: z.string().min(1),
  /** The conversation the rubric is for, as the model saw it. */
  messages: z.array(ChatMessage).min(1),
  provenance: Provenance,
  /** Criteria the model wrote that were left out as near-duplicates (`similarity.ts`). */
  removed: z
    .array(
      z.strictObject({
        id: z.string(),
        description: z.string(),
        duplicateOf: z.string(),
        similarity: z.number(),
      }),
    )
    .default([]),
  rubric: RubricFile,
});
export type GeneratedRubric = z.infer<typeof GeneratedRubric>;

export const RejectRecord = z.strictObject({
  promptId: z.string().min(1),
  promptHash: z.string(),
  model: z.string(),
  date: z.string(),
  attempts: z.number().int().nonnegative(),
  reason: z.string().min(1),
});
export type RejectRecord = z.infer<typeof RejectRecord>;

/** sha256 of the prompt's conversation (the messages as JSON): the same text, the same hash. */
export function promptHash(record: PromptRecord): string {
  return createHash('sha256')
    .update(JSON.stringify(promptMessages(record)))
    .digest('hex');
}

/** A file name for a prompt id (ids may hold `/` and `:`): readable part plus a hash of the id. */
export function fileStem(promptId: string): string {
  const readable = promptId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  const hash = createHash('sha256').update(promptId).digest('hex').slice(0, 8);
  return `${readable}-${hash}`;
}

/** The rubric id of a generated instance rubric: `generated/<stem>` in the rubric id alphabet. */
export function generatedRubricId(promptId: string): string {
  return `generated/${fileStem(promptId)
    .toLowerCase()
    .replace(/^[^a-z0-9]+/, '')}`;
}

export function generatedPath(dir: string, promptId: string): string {
  return join(dir, `${fileStem(promptId)}${GENERATED_SUFFIX}`);
}

/** Writes through a temporary file and a rename, so a crash never leaves half a file to resume from. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeGenerated(dir: string, value: GeneratedRubric): string {
  mkdirSync(dir, { recursive: true });
  const path = generatedPath(dir, value.promptId);
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}

export function readGenerated(path: string): GeneratedRubric {
  let json: unknown;
  try {
    json = JSON.parse(readTextFile(path));
  } catch (cause) {
    if (cause instanceof ValidationError) throw cause;
    throw new ValidationError(`expected a generated rubric (JSON): ${(cause as Error).message}`, {
      location: { file: path },
    });
  }
  const parsed = GeneratedRubric.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`expected ${describeIssue(issue)}`, {
      location: { file: path, field: formatFieldPath(issue.path as PropertyKey[]) || '(file)' },
    });
  }
  return parsed.data;
}

/** The generated rubric files of a folder, sorted by name. */
export function listGenerated(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(GENERATED_SUFFIX) && !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f));
}

export function appendReject(dir: string, reject: RejectRecord): void {
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, REJECTS_FILE), `${JSON.stringify(reject)}\n`);
}

export function readRejects(dir: string): RejectRecord[] {
  const file = join(dir, REJECTS_FILE);
  if (!existsSync(file)) return [];
  return parseJsonl({ text: readTextFile(file), file, schema: RejectRecord }).map((l) => l.value);
}
