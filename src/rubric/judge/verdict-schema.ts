import type { ResolvedCriterion } from '../resolve.ts';

/**
 * The JSON Schemas a judge sends with `responseFormat: json_schema`, so that a server that decodes
 * under a schema (vLLM, llama.cpp server, OpenAI, `anchorage serve`) can only write a verdict of the
 * shape the prompt asks for: fields in the prompt's order (reason first, then tier), the tier one of
 * the criterion's labels. The keywords used are those OpenAI's strict mode accepts (object with every
 * property required and no others, string, enum, array), all inside the subset `anchorage serve`
 * decodes (src/serve/README.md). Length bounds, which OpenAI's strict mode refuses, are added only
 * when `reasonMaxChars` is set: then the reason has 1 to `reasonMaxChars` characters and a rubric
 * reply exactly one entry per criterion, so a small model cannot run out of tokens mid-verdict.
 */

/** What goes into `response_format.json_schema`: a name (letters, digits, _ and -) and the schema. */
export interface VerdictSchema {
  name: string;
  schema: Record<string, unknown>;
}

function reasonSchema(reasonMaxChars: number | undefined): Record<string, unknown> {
  return reasonMaxChars === undefined
    ? { type: 'string' }
    : { type: 'string', minLength: 1, maxLength: reasonMaxChars };
}

/** Labels in tier order, each once (two criteria of a rubric may share labels). */
function labels(criteria: readonly ResolvedCriterion[]): string[] {
  return [...new Set(criteria.flatMap((c) => c.tiers.map((t) => t.label)))];
}

/** `{"reason": ..., "tier": <one of the criterion's labels>}`. */
export function criterionVerdictSchema(options: {
  criterion: ResolvedCriterion;
  reasonMaxChars?: number | undefined;
}): VerdictSchema {
  return {
    name: 'criterion_verdict',
    schema: {
      type: 'object',
      properties: {
        reason: reasonSchema(options.reasonMaxChars),
        tier: { type: 'string', enum: labels([options.criterion]) },
      },
      required: ['reason', 'tier'],
      additionalProperties: false,
    },
  };
}

/**
 * `{"verdicts": [{"criterion": <an id>, "reason": ..., "tier": <a label of any criterion>}]}`. The
 * subset has no per-entry coupling of id and labels: a label of another criterion parses here and is
 * refused by `reply.ts` (and repaired) like any unknown tier.
 */
export function rubricVerdictSchema(options: {
  criteria: readonly ResolvedCriterion[];
  reasonMaxChars?: number | undefined;
}): VerdictSchema {
  const { criteria, reasonMaxChars } = options;
  const entries: Record<string, unknown> = {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        criterion: { type: 'string', enum: criteria.map((c) => c.id) },
        reason: reasonSchema(reasonMaxChars),
        tier: { type: 'string', enum: labels(criteria) },
      },
      required: ['criterion', 'reason', 'tier'],
      additionalProperties: false,
    },
    ...(reasonMaxChars === undefined ? {} : { minItems: criteria.length, maxItems: criteria.length }),
  };
  return {
    name: 'rubric_verdicts',
    schema: {
      type: 'object',
      properties: { verdicts: entries },
      required: ['verdicts'],
      additionalProperties: false,
    },
  };
}
