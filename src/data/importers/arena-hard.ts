import { z } from 'zod';
import { slug } from '../../rubric/importers/writingbench.ts';
import { readJsonl } from '../../util/jsonl.ts';
import type { LocatedPrompt } from '../prompt-record.ts';

/**
 * Arena-Hard question files (lmarena/arena-hard-auto, Apache-2.0). Two layouts:
 * - v0.1 (`arena-hard-v0.1_question.jsonl`, 500 rows): `uid`, `category` ("arena-hard-v0.1"),
 *   `cluster` (one of 250 topic clusters), `prompt`;
 * - v2.0 (`arena-hard-v2.0_question.jsonl`, 750 rows): `uid`, `category` ("hard_prompt" or
 *   "creative_writing"), `subcategory` ("coding", "math", "creative_writing"), `prompt`.
 * Prompts carry no rubric of their own; the run configuration attaches rubrics by tag (for example
 * a creative-writing rubric to `arena-hard:creative-writing`).
 */
const ArenaHardRow = z.object({
  uid: z.string().regex(/^[0-9a-f]+$/, 'a hex uid'),
  category: z.string().min(1),
  cluster: z.string().min(1).optional(),
  subcategory: z.string().min(1).optional(),
  prompt: z.string().min(1),
});
export type ArenaHardRow = z.infer<typeof ArenaHardRow>;

/** `v0.1` or `v2.0`, from the row's fields. */
export function arenaHardVersion(row: ArenaHardRow): 'v0.1' | 'v2.0' {
  return row.category === 'arena-hard-v0.1' ? 'v0.1' : 'v2.0';
}

/**
 * Reads one Arena-Hard question file. `categories` keeps rows whose category or subcategory is
 * listed (e.g. `creative_writing`, `coding`). Ids are `arena-hard/<version>/<uid>`; tags name the
 * version, category, subcategory or cluster.
 */
export function importArenaHard(options: {
  file: string;
  sourceName?: string;
  categories?: readonly string[];
}): LocatedPrompt[] {
  const { file, sourceName = 'arena-hard', categories } = options;
  const out: LocatedPrompt[] = [];
  for (const { value: row, line } of readJsonl({ file, schema: ArenaHardRow })) {
    if (
      categories !== undefined &&
      !categories.includes(row.category) &&
      !categories.includes(row.subcategory ?? '')
    )
      continue;
    const version = arenaHardVersion(row);
    const tags = ['arena-hard', `arena-hard:${version}`];
    if (version === 'v2.0') tags.push(`arena-hard:${slug(row.category)}`);
    if (row.subcategory !== undefined && row.subcategory !== row.category)
      tags.push(`arena-hard:${slug(row.subcategory)}`);
    if (row.cluster !== undefined) tags.push(`cluster:${slug(row.cluster)}`);
    out.push({
      record: {
        id: `arena-hard/${version}/${row.uid}`,
        prompt: row.prompt,
        tags,
        source: `Arena-Hard ${version} question ${row.uid}`,
      },
      file,
      line,
      sourceName,
    });
  }
  return out;
}
