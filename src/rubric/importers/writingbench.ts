import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../../util/errors.ts';
import { formatFieldPath } from '../../util/field-path.ts';
import type { RubricFile } from '../schema.ts';

/** A rubric document as written (defaults left out). */
type RubricDocument = z.input<typeof RubricFile>;
import { cjkShare } from '../verifiers/text/tokens.ts';

/**
 * WritingBench importer: each query of a requirement subset (style, format, length) becomes an
 * instance rubric with the query's five criteria as judge criteria.
 *
 * Tiers: WritingBench scores 1-10 in five bands (1-2 ... 9-10). Each band becomes a tier scored at
 * the band's top (2, 4, 6, 8, 10), so a tier's normalised score equals WritingBench's score / 10 at
 * that band's top, the tiers are evenly spaced, and the best band earns 1.
 *
 * The subset's `_C` file lists, per query, which of the five criteria check the subset's requirement
 * (e.g. the style asked for); those ids are named in the rubric's `source` so they can be told apart.
 */

export interface WritingBenchSubset {
  name: 'style' | 'format' | 'length';
  file: string;
  requirementFile: string;
  commit: string;
  sourcePath: string;
}

const REPO = 'X-PLUG/WritingBench';
export const WRITINGBENCH_SUBSETS: readonly WritingBenchSubset[] = [
  {
    name: 'style',
    file: 'style_subset_v1.jsonl',
    requirementFile: 'style_subset_C_v1.jsonl',
    commit: 'cf2827a321d842d7182f0dcfe3c60356a10372d4',
    sourcePath: 'benchmark_query/requirement/style/style_subset.jsonl',
  },
  {
    name: 'format',
    file: 'format_subset_v1.jsonl',
    requirementFile: 'format_subset_C_v1.jsonl',
    commit: 'cf2827a321d842d7182f0dcfe3c60356a10372d4',
    sourcePath: 'benchmark_query/requirement/format/format_subset.jsonl',
  },
  {
    name: 'length',
    file: 'length_subset_v2.jsonl',
    requirementFile: 'length_subset_C_v2.jsonl',
    commit: 'ae2d5176449b7b769815482641d35926f26793eb',
    sourcePath: 'benchmark_query/requirement/length/length_subset.jsonl',
  },
];

const BANDS = ['1-2', '3-4', '5-6', '7-8', '9-10'] as const;

const WbCriterion = z.object({
  name: z.string().min(1),
  criteria_description: z.string().min(1),
  '1-2': z.string().min(1),
  '3-4': z.string().min(1),
  '5-6': z.string().min(1),
  '7-8': z.string().min(1),
  '9-10': z.string().min(1),
});
type WbCriterion = z.infer<typeof WbCriterion>;

// v1 files call the list `criteria`, v2 files `checklist`.
const WbRow = z
  .object({
    index: z.number().int().nonnegative(),
    domain1: z.string().min(1),
    domain2: z.string().min(1),
    query: z.string().min(1),
    criteria: z.array(WbCriterion).min(1).optional(),
    checklist: z.array(WbCriterion).min(1).optional(),
  })
  .refine((r) => (r.criteria === undefined) !== (r.checklist === undefined), {
    message: 'exactly one of `criteria` and `checklist`',
  });
type WbRow = z.infer<typeof WbRow>;

const criteriaOf = (row: WbRow): WbCriterion[] => row.criteria ?? row.checklist ?? [];

/** Reads a WritingBench JSON Lines file; a bad row names the file, line and field. */
export function readWritingBenchRows(file: string): WbRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ValidationError(`cannot read WritingBench file: ${(cause as Error).message}`, {
      location: { file },
      cause,
    });
  }
  const rows: WbRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (cause) {
      throw new ValidationError(`expected a JSON object: ${(cause as Error).message}`, {
        location: { file, line: i + 1 },
        cause,
      });
    }
    const parsed = WbRow.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError(`expected ${issue.message}`, {
        location: { file, line: i + 1, field: formatFieldPath(issue.path as PropertyKey[]) || '(row)' },
      });
    }
    rows.push(parsed.data);
  });
  return rows;
}

/** A tag-friendly slug: "Academic & Engineering" -> "academic-engineering". */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Criterion ids from WritingBench names, unique within the rubric. */
function criterionIds(criteria: readonly WbCriterion[]): string[] {
  const seen = new Set<string>();
  return criteria.map((c, k) => {
    const base = slug(c.name) || `criterion-${k + 1}`;
    let id = base;
    for (let n = 2; seen.has(id); n++) id = `${base}-${n}`;
    seen.add(id);
    return id;
  });
}

/** Builds the instance rubric of one query. `requirement` lists the names of its requirement criteria. */
export function writingBenchRubric(options: {
  subset: WritingBenchSubset;
  row: WbRow;
  requirement: readonly string[];
}): RubricDocument {
  const { subset, row, requirement } = options;
  const criteria = criteriaOf(row);
  const ids = criterionIds(criteria);
  const requirementIds = ids.filter((_, k) => requirement.includes(criteria[k]!.name));
  const language = cjkShare(row.query) >= 0.25 ? 'zh' : 'en';
  const source =
    `WritingBench ${subset.name} subset, query ${row.index} (${REPO}@${subset.commit}, ${subset.sourcePath}, Apache-2.0)` +
    (requirementIds.length > 0 ? `; requirement criteria: ${requirementIds.join(', ')}` : '');
  return {
    id: `writingbench/${subset.name}/${row.index}`,
    version: 1,
    title: `WritingBench ${subset.name} ${row.index}: ${row.domain1} / ${row.domain2}`,
    scope: 'instance',
    tags: [
      'writingbench',
      `subset:${subset.name}`,
      `lang:${language}`,
      `domain:${slug(row.domain1)}`,
      `subdomain:${slug(row.domain2)}`,
    ],
    source,
    prompt: row.query,
    include: ['defence/reward-hacking'],
    // 5 judged criteria + 4 defence rules: 7 scored needed, so at least 3 judged ones.
    aggregation: { minScoredFraction: 0.7 },
    criteria: criteria.map((c, k) => ({
      id: ids[k]!,
      description: `${c.name.replaceAll('_', ' ')}: ${c.criteria_description}`,
      weight: 1,
      tiers: BANDS.map((band, b) => ({ score: 2 * (b + 1), label: band, description: c[band] })),
      evaluator: { type: 'judge' as const },
    })),
  };
}

/** The generated file for a subset: a header comment, then one YAML document per query. */
export function renderWritingBenchSubset(options: {
  subset: WritingBenchSubset;
  rows: readonly WbRow[];
  requirementRows: readonly WbRow[];
}): string {
  const { subset, rows, requirementRows } = options;
  const requirementByIndex = new Map(requirementRows.map((r) => [r.index, criteriaOf(r).map((c) => c.name)]));
  const header = [
    `# WritingBench ${subset.name} subset: ${rows.length} instance rubrics, one per query.`,
    `# Source: ${REPO}@${subset.commit}, ${subset.sourcePath} (requirement criteria from the _C file).`,
    '# Licence: Apache-2.0 (WritingBench authors).',
    '# Generated by `anchorage rubrics import writingbench`; do not edit.',
  ].join('\n');
  const docs = [...rows]
    .sort((a, b) => a.index - b.index)
    .map((row) => {
      const rubric = writingBenchRubric({
        subset,
        row,
        requirement: requirementByIndex.get(row.index) ?? [],
      });
      return stringify(rubric, { lineWidth: 0, blockQuote: 'literal' });
    });
  return `${header}\n${docs.join('---\n')}`;
}

/** Reads the subsets from `dataDir` and writes `<outDir>/<subset>.yaml`; returns what it wrote. */
export function importWritingBench(options: {
  dataDir: string;
  outDir: string;
  subsets?: readonly WritingBenchSubset[];
}): Array<{ subset: string; file: string; rubrics: number; bytes: number }> {
  const subsets = options.subsets ?? WRITINGBENCH_SUBSETS;
  mkdirSync(options.outDir, { recursive: true });
  return subsets.map((subset) => {
    const rows = readWritingBenchRows(join(options.dataDir, subset.file));
    const requirementRows = readWritingBenchRows(join(options.dataDir, subset.requirementFile));
    const text = renderWritingBenchSubset({ subset, rows, requirementRows });
    const file = join(options.outDir, `${subset.name}.yaml`);
    writeFileSync(file, text);
    return { subset: subset.name, file, rubrics: rows.length, bytes: Buffer.byteLength(text) };
  });
}
