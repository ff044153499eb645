import { logger } from '../util/logger.ts';
import type { RubricJudge } from './judge/types.ts';
import type { ResolvedCriterion, ResolvedRubric } from './resolve.ts';
import { tierForScore } from './tiers.ts';
import type { Verdict } from './verdict.ts';
import type { VerifierRegistry } from './verifiers/registry.ts';

const log = logger('evaluate');

/**
 * Runs one criterion's verifier. A verifier that throws is a bug or an input it cannot handle:
 * the criterion becomes unscorable with the error as reason (logged), never a 0.
 */
export function runVerifier(options: {
  criterion: ResolvedCriterion;
  prompt: string;
  response: string;
  verifiers: VerifierRegistry;
}): Verdict {
  const { criterion, prompt, response, verifiers } = options;
  if (criterion.evaluator.type !== 'verifier') throw new TypeError(`criterion ${criterion.id} is not verifier-graded`);
  const { name, params } = criterion.evaluator;
  let result: ReturnType<ReturnType<VerifierRegistry['get']>['verify']>;
  try {
    result = verifiers.get(name).verify({ prompt, response, params });
  } catch (err) {
    log.error({ err, criterion: criterion.id, verifier: name }, 'verifier threw; criterion left unscorable');
    return { criterionId: criterion.id, status: 'unscorable', reason: `verifier error: ${(err as Error).message}`, evaluator: name };
  }
  if ('unscorable' in result) {
    return { criterionId: criterion.id, status: 'unscorable', reason: result.reason, evaluator: name };
  }
  if (!Number.isFinite(result.score) || result.score < 0 || result.score > 1) {
    return {
      criterionId: criterion.id,
      status: 'unscorable',
      reason: `verifier returned score ${result.score} outside [0, 1]`,
      evaluator: name,
    };
  }
  const tier = tierForScore(criterion.tiers, result.score);
  return {
    criterionId: criterion.id,
    status: 'scored',
    tierScore: tier.score,
    tierLabel: tier.label,
    reason: result.reason,
    evaluator: name,
  };
}

/**
 * Verdicts for every criterion of a rubric, in the rubric's order. Verifier criteria run here;
 * judge criteria go to `judge` in one request. Without a judge, judge criteria are unscorable
 * ("no judge configured"), which the aggregate leaves out rather than counting as 0.
 */
export async function evaluateResponse(options: {
  rubric: ResolvedRubric;
  prompt: string;
  response: string;
  verifiers: VerifierRegistry;
  judge?: RubricJudge | undefined;
}): Promise<Verdict[]> {
  const { rubric, prompt, response, verifiers, judge } = options;
  const judged = rubric.criteria.filter((c) => c.evaluator.type === 'judge');
  const judgeVerdicts = new Map<string, Verdict>();
  if (judged.length > 0) {
    if (judge === undefined) {
      for (const c of judged) {
        judgeVerdicts.set(c.id, {
          criterionId: c.id,
          status: 'unscorable',
          reason: 'no judge configured',
          evaluator: 'judge',
        });
      }
    } else {
      const verdicts = await judge.judge({ rubricId: rubric.id, prompt, response, criteria: judged });
      for (const v of verdicts) judgeVerdicts.set(v.criterionId, v);
    }
  }
  return rubric.criteria.map((criterion) => {
    if (criterion.evaluator.type === 'verifier') return runVerifier({ criterion, prompt, response, verifiers });
    const v = judgeVerdicts.get(criterion.id);
    if (v === undefined) throw new Error(`judge returned no verdict for criterion '${criterion.id}'`);
    return v;
  });
}

/** True when every criterion of the rubric is graded by a verifier (no judge needed). */
export function isVerifierOnly(rubric: ResolvedRubric): boolean {
  return rubric.criteria.every((c) => c.evaluator.type === 'verifier');
}
