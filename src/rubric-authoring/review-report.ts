import type { RejectRecord } from './generated-file.ts';
import type { GeneratedRubric } from './generated-file.ts';
import type { DecisionsFile } from './review-decisions.ts';

/** Statistics of a folder of generated rubrics and their review (`anchorage rubrics review --report`). */
export interface ReviewReport {
  rubrics: number;
  accepted: number;
  rejected: number;
  pending: number;
  edited: number;
  /** Prompts whose answers never became a valid rubric (rejects.jsonl). */
  rejectedAtGeneration: number;
  criteriaPerRubric: { min: number; median: number; mean: number; max: number };
  criteria: { total: number; verifier: number; judge: number; verifierShare: number };
  /** Criteria removed as near-duplicates at generation. */
  nearDuplicatesRemoved: number;
}

export function reviewReport(options: {
  generated: readonly GeneratedRubric[];
  decisions: DecisionsFile;
  rejects: readonly RejectRecord[];
}): ReviewReport {
  const { generated, decisions } = options;
  const decided = generated.map((g) => decisions.decisions[g.promptId]);
  const counts = generated.map((g) => g.rubric.criteria.length).sort((a, b) => a - b);
  const verifier = generated.reduce(
    (n, g) => n + g.rubric.criteria.filter((c) => c.evaluator.type === 'verifier').length,
    0,
  );
  const total = counts.reduce((a, b) => a + b, 0);
  const mid = counts.length >> 1;
  const median =
    counts.length === 0 ? 0 : counts.length % 2 === 1 ? counts[mid]! : (counts[mid - 1]! + counts[mid]!) / 2;
  return {
    rubrics: generated.length,
    accepted: decided.filter((d) => d?.decision === 'accepted').length,
    rejected: decided.filter((d) => d?.decision === 'rejected').length,
    pending: decided.filter((d) => d === undefined).length,
    edited: decided.filter((d) => d?.edited === true).length,
    rejectedAtGeneration: options.rejects.length,
    criteriaPerRubric: {
      min: counts[0] ?? 0,
      median,
      mean: counts.length === 0 ? 0 : Math.round((total / counts.length) * 100) / 100,
      max: counts.at(-1) ?? 0,
    },
    criteria: {
      total,
      verifier,
      judge: total - verifier,
      verifierShare: total === 0 ? 0 : Math.round((verifier / total) * 1000) / 1000,
    },
    nearDuplicatesRemoved: generated.reduce((n, g) => n + g.removed.length, 0),
  };
}

export function formatReviewReport(r: ReviewReport): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `rubrics: ${r.rubrics} (accepted ${r.accepted}, rejected ${r.rejected}, pending ${r.pending}; edited ${r.edited})`,
    `rejected at generation: ${r.rejectedAtGeneration}`,
    `criteria per rubric: min ${r.criteriaPerRubric.min}, median ${r.criteriaPerRubric.median}, mean ${r.criteriaPerRubric.mean}, max ${r.criteriaPerRubric.max}`,
    `criteria: ${r.criteria.total} (verifier ${r.criteria.verifier}, ${pct(r.criteria.verifierShare)}; judge ${r.criteria.judge}, ${pct(r.criteria.total === 0 ? 0 : 1 - r.criteria.verifierShare)})`,
    `near-duplicate criteria removed: ${r.nearDuplicatesRemoved}`,
  ];
}
