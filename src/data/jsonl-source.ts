import { readJsonl } from '../util/jsonl.ts';
import { type LocatedPrompt, PromptRecord } from './prompt-record.ts';

/**
 * Reads prompts from a JSON-lines file, one `PromptRecord` per line. Errors name the file, the line
 * and the field. `tags` are added to every prompt's own.
 */
export function readPromptFile(options: {
  file: string;
  sourceName?: string;
  tags?: readonly string[];
}): LocatedPrompt[] {
  const { file, sourceName = file, tags = [] } = options;
  return readJsonl({ file, schema: PromptRecord }).map(({ value, line }) => ({
    record: tags.length === 0 ? value : { ...value, tags: [...new Set([...value.tags, ...tags])] },
    file,
    line,
    sourceName,
  }));
}

/** One JSON line per prompt, the inverse of `readPromptFile`. */
export function formatPromptLines(records: readonly PromptRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}
