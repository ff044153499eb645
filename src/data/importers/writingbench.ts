import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWritingBenchRows, slug, WRITINGBENCH_SUBSETS } from '../../rubric/importers/writingbench.ts';
import { cjkShare } from '../../rubric/verifiers/text/tokens.ts';
import type { LocatedPrompt } from '../prompt-record.ts';

export type WritingBenchSubsetName = 'style' | 'format' | 'length';

/**
 * WritingBench queries (style, format and length subsets; X-PLUG/WritingBench, Apache-2.0). Each
 * prompt names its instance rubric `writingbench/<subset>/<index>`, bundled in
 * `rubrics/writingbench/<subset>.yaml` (five judged criteria plus the reward-hacking rules), so these
 * prompts need a judge. `languages` keeps queries in those languages (`en`, `zh`: about half are
 * Chinese), decided as the rubric importer decides its `lang:` tag.
 */
export function importWritingBench(options: {
  dir: string;
  subsets?: readonly WritingBenchSubsetName[];
  languages?: readonly ('en' | 'zh')[];
  sourceName?: string;
}): LocatedPrompt[] {
  const { dir, subsets = ['style', 'format', 'length'], languages, sourceName = 'writingbench' } = options;
  const out: LocatedPrompt[] = [];
  for (const subset of WRITINGBENCH_SUBSETS.filter((s) => subsets.includes(s.name))) {
    const file = join(dir, subset.file);
    const rows = readWritingBenchRows(file);
    // readWritingBenchRows skips blank lines and drops line numbers: row i is on the i-th non-blank line.
    const lines = nonBlankLines(file);
    rows.forEach((row, i) => {
      const language = cjkShare(row.query) >= 0.25 ? 'zh' : 'en';
      if (languages !== undefined && !languages.includes(language)) return;
      out.push({
        record: {
          id: `writingbench/${subset.name}/${row.index}`,
          prompt: row.query,
          tags: [
            'writingbench',
            `subset:${subset.name}`,
            `lang:${language}`,
            `domain:${slug(row.domain1)}`,
            `subdomain:${slug(row.domain2)}`,
          ],
          rubricId: `writingbench/${subset.name}/${row.index}`,
          source: `WritingBench ${subset.name} subset, query ${row.index}`,
        },
        file,
        line: lines[i] ?? i + 1,
        sourceName,
      });
    });
  }
  return out;
}

function nonBlankLines(file: string): number[] {
  const out: number[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() !== '') out.push(i + 1);
    });
  return out;
}
