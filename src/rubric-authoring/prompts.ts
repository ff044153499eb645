import { z } from 'zod';
import type { ChatMessage } from '../data/prompt-record.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import { IMPORTANCE_WEIGHTS, JUDGE_EVALUATOR } from './answer-schema.ts';

/**
 * The generator's messages: a system message that explains the answer (criteria, importance, tiers,
 * evaluator; the verifiers offered, each with its description and parameters' JSON Schema), then the
 * prompt to write a rubric for. The repair message quotes the validation error.
 */

export function verifierCatalogue(options: {
  verifiers: VerifierRegistry;
  names: readonly string[];
}): string {
  return options.names
    .map((name) => {
      const v = options.verifiers.get(name);
      return `- ${name}: ${v.description} Params: ${paramsSchemaText(v.params)}`;
    })
    .join('\n');
}

/** The parameters' JSON Schema as compact text; a schema zod cannot express says so. */
function paramsSchemaText(params: z.ZodType): string {
  try {
    const { $schema: _, ...schema } = z.toJSONSchema(params, { io: 'input', unrepresentable: 'any' });
    return JSON.stringify(schema);
  } catch {
    return '(see the verifier documentation)';
  }
}

export function generatorMessages(options: {
  conversation: readonly ChatMessage[];
  catalogue: string;
}): ChatMessage[] {
  const importance = Object.entries(IMPORTANCE_WEIGHTS)
    .map(([k, w]) => `${k} (weight ${w})`)
    .join(', ');
  const verifierPart =
    options.catalogue === ''
      ? `Every criterion is graded by an LLM judge: set "evaluator" to "${JUDGE_EVALUATOR}" and "params" to "{}".`
      : [
          `Set "evaluator" to "${JUDGE_EVALUATOR}" for a criterion an LLM judge grades, or to the name of a`,
          'programmatic verifier below when it checks the criterion exactly; then "params" is a JSON object',
          'as text with the parameters its schema asks for ("{}" when it takes none).',
          'Verifiers:',
          options.catalogue,
        ].join('\n');
  const system = [
    'You write grading rubrics. Given a prompt, write the criteria a good answer to it must meet.',
    'Each criterion: a specific, checkable "description" about this prompt (not generic advice), an',
    `"importance" (${importance}; pitfall: something a good answer avoids), and "tiers": two to four`,
    'levels from worst to best, each a short "label" and a "description" of what earns it.',
    'Criteria must not overlap: each checks one thing no other criterion checks.',
    verifierPart,
    'Answer with the JSON object only.',
  ].join('\n');
  const transcript = options.conversation.map((m) => `[${m.role}]\n${m.content}`).join('\n\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: `Write the rubric for this prompt.\n\n${transcript}` },
  ];
}

export function repairMessages(options: {
  first: readonly ChatMessage[];
  reply: string;
  error: string;
}): ChatMessage[] {
  return [
    ...options.first,
    { role: 'assistant', content: options.reply },
    {
      role: 'user',
      content: `That answer is not a valid rubric: ${options.error}. Answer again with the whole corrected rubric, JSON only.`,
    },
  ];
}
