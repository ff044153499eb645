import { z } from 'zod';
import { formatFieldPath } from '../util/field-path.ts';
import type { RubricFile } from '../rubric/schema.ts';

/**
 * What the generator model is asked to write, and how its answer becomes a rubric. The model
 * chooses what it can choose well (descriptions, an importance, tier labels, an evaluator from a
 * closed list); ids, weights and tier scores follow from position and importance, so the schema can
 * forbid most invalid rubrics outright. Weights by importance: essential 1.0, important 0.7,
 * optional 0.3, pitfall -0.5 (a negative weight: meeting a pitfall lowers the reward).
 *
 * The JSON Schema keeps to what OpenAI's strict mode and `anchorage serve` both accept
 * (src/serve/README.md): objects with every property required and no others, strings, enums,
 * arrays. Length and count bounds, which OpenAI's strict mode refuses, are added only with
 * `bounds` (for small local models that must not run out of tokens mid-answer).
 */

export const IMPORTANCE_WEIGHTS = {
  essential: 1,
  important: 0.7,
  optional: 0.3,
  pitfall: -0.5,
} as const;
export type Importance = keyof typeof IMPORTANCE_WEIGHTS;

/** The evaluator value meaning "graded by the LLM judge". */
export const JUDGE_EVALUATOR = 'judge';

export interface AnswerBounds {
  /** Most characters of a title, description or label. */
  chars: number;
  /** Most criteria in one rubric. */
  criteria: number;
}

/** The `response_format.json_schema` of the generator's request. */
export function answerJsonSchema(options: {
  verifierNames: readonly string[];
  bounds?: AnswerBounds | undefined;
}): { name: string; schema: Record<string, unknown> } {
  const { bounds } = options;
  const text = (): Record<string, unknown> =>
    bounds === undefined ? { type: 'string' } : { type: 'string', minLength: 1, maxLength: bounds.chars };
  const object = (properties: Record<string, unknown>) => ({
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  });
  const tier = object({ label: text(), description: text() });
  const criterion = object({
    description: text(),
    importance: { type: 'string', enum: Object.keys(IMPORTANCE_WEIGHTS) },
    tiers: {
      type: 'array',
      items: tier,
      ...(bounds === undefined ? {} : { minItems: 2, maxItems: 4 }),
    },
    evaluator: { type: 'string', enum: [JUDGE_EVALUATOR, ...options.verifierNames] },
    params: { type: 'string' },
  });
  return {
    name: 'instance_rubric',
    schema: object({
      title: text(),
      criteria: {
        type: 'array',
        items: criterion,
        ...(bounds === undefined ? {} : { minItems: 1, maxItems: bounds.criteria }),
      },
    }),
  };
}

/** The answer as parsed (the shape only; the rubric schema checks the rest after conversion). */
export const GeneratorAnswer = z.object({
  title: z.string(),
  criteria: z
    .array(
      z.object({
        description: z.string(),
        importance: z.enum(Object.keys(IMPORTANCE_WEIGHTS) as [Importance, ...Importance[]]),
        tiers: z.array(z.object({ label: z.string(), description: z.string() })),
        evaluator: z.string().min(1),
        /** A JSON object as text: the verifier's parameters, `{}` for none and for the judge. */
        params: z.string(),
      }),
    )
    .min(1),
});
export type GeneratorAnswer = z.infer<typeof GeneratorAnswer>;

export type Converted = { ok: true; rubric: unknown } | { ok: false; error: string };

/**
 * The model's reply text -> a rubric document (not yet validated by the rubric schema), or an error
 * naming the answer's field. Ids are `c1`, `c2`, ... by position; tier scores 0, 1, ... lowest first.
 */
export function answerToRubric(options: {
  reply: string;
  header: Pick<RubricFile, 'id' | 'title' | 'scope' | 'tags' | 'source' | 'prompt'>;
}): Converted {
  let json: unknown;
  try {
    json = JSON.parse(stripFence(options.reply));
  } catch (cause) {
    return { ok: false, error: `the answer is not JSON (${(cause as Error).message})` };
  }
  const parsed = GeneratorAnswer.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      error: `field ${formatFieldPath(issue.path as PropertyKey[]) || '(answer)'}: ${issue.message}`,
    };
  }
  const criteria: unknown[] = [];
  for (const [i, c] of parsed.data.criteria.entries()) {
    const tiers = c.tiers.map((t, score) => ({ score, label: t.label, description: t.description }));
    let evaluator: unknown;
    if (c.evaluator === JUDGE_EVALUATOR) evaluator = { type: 'judge' };
    else {
      let params: unknown;
      try {
        params = JSON.parse(c.params.trim() === '' ? '{}' : c.params);
      } catch (cause) {
        return {
          ok: false,
          error: `field criteria[${i}].params: a JSON object as text (${(cause as Error).message})`,
        };
      }
      evaluator = { type: 'verifier', name: c.evaluator, params };
    }
    criteria.push({
      id: `c${i + 1}`,
      description: c.description,
      weight: IMPORTANCE_WEIGHTS[c.importance],
      tiers,
      evaluator,
    });
  }
  const { header } = options;
  const title = parsed.data.title.trim() === '' ? header.title : parsed.data.title;
  return { ok: true, rubric: { ...header, version: 1, title, criteria } };
}

/** Some servers wrap JSON in a Markdown fence even when asked not to. */
function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  return m?.[1] ?? text;
}
