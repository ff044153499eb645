import type { LocatedRubric } from './corpus.ts';
import type { ResolvedRubric } from './resolve.ts';

/** Summary figures of a rubric corpus, for `anchorage rubrics stats`. */
export interface CorpusStats {
  rubrics: number;
  files: number;
  byScope: Record<string, number>;
  /** Rubrics per tag, most frequent first (ties by name). */
  byTag: Array<{ tag: string; rubrics: number }>;
  /** Criteria as written in the files (an included rubric's criteria are counted once). */
  criteriaWritten: number;
  byKind: { score: number; veto: number };
  /** Evaluators of the written criteria: judge, and verifiers grouped by family (`text`, `defence`, ...). */
  evaluators: {
    judge: number;
    verifier: number;
    families: Array<{ family: string; criteria: number; names: Array<{ name: string; criteria: number }> }>;
  };
  /** Criteria per resolved rubric (includes merged in). */
  criteriaPerRubric: { min: number; median: number; mean: number; max: number };
  /** Rubrics whose resolved criteria are all verifiers: they score without a judge. */
  verifierOnly: number;
}

const countDesc = <K extends string>(m: Map<K, number>) =>
  [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

/** Computes the figures from the rubrics as written and as resolved. */
export function corpusStats(options: {
  rubrics: readonly LocatedRubric[];
  resolved: readonly ResolvedRubric[];
}): CorpusStats {
  const { rubrics, resolved } = options;
  const byScope: Record<string, number> = {};
  const tags = new Map<string, number>();
  const families = new Map<string, Map<string, number>>();
  const byKind = { score: 0, veto: 0 };
  let judge = 0;
  let verifier = 0;
  let criteriaWritten = 0;
  for (const { value: r } of rubrics) {
    byScope[r.scope] = (byScope[r.scope] ?? 0) + 1;
    for (const t of new Set(r.tags)) tags.set(t, (tags.get(t) ?? 0) + 1);
    for (const c of r.criteria) {
      criteriaWritten++;
      byKind[c.kind]++;
      if (c.evaluator.type === 'judge') {
        judge++;
        continue;
      }
      verifier++;
      const family = c.evaluator.name.split('.')[0]!;
      const names = families.get(family) ?? new Map<string, number>();
      names.set(c.evaluator.name, (names.get(c.evaluator.name) ?? 0) + 1);
      families.set(family, names);
    }
  }
  const counts = resolved.map((r) => r.criteria.length).sort((a, b) => a - b);
  return {
    rubrics: rubrics.length,
    files: new Set(rubrics.map((r) => r.file)).size,
    byScope,
    byTag: countDesc(tags).map(([tag, n]) => ({ tag, rubrics: n })),
    criteriaWritten,
    byKind,
    evaluators: {
      judge,
      verifier,
      families: [...families]
        .map(([family, names]) => ({
          family,
          criteria: [...names.values()].reduce((a, b) => a + b, 0),
          names: countDesc(names).map(([name, n]) => ({ name, criteria: n })),
        }))
        .sort((a, b) => b.criteria - a.criteria || a.family.localeCompare(b.family)),
    },
    criteriaPerRubric: summary(counts),
    verifierOnly: resolved.filter((r) => r.criteria.every((c) => c.evaluator.type === 'verifier')).length,
  };
}

/** min / median / mean / max of sorted numbers (all 0 when empty). */
function summary(sorted: readonly number[]): CorpusStats['criteriaPerRubric'] {
  const n = sorted.length;
  if (n === 0) return { min: 0, median: 0, mean: 0, max: 0 };
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  return { min: sorted[0]!, median, mean: Math.round(mean * 100) / 100, max: sorted[n - 1]! };
}
