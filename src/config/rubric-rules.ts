import { instanceRubricOf, type LocatedPrompt } from '../data/prompt-record.ts';
import type { PromptSelector, RubricRule } from './schema.ts';

/** A rubric that scores a prompt's responses, and its weight among that prompt's rubrics. */
export interface WeightedRubric {
  rubricId: string;
  weight: number;
  /**
   * `instance` for the prompt's own rubric, `defence` for an applied adaptive-defence rubric
   * (src/defence/step-defence.ts), else the index of the rule in `apply`.
   */
  from: 'instance' | 'defence' | number;
}

/** Whether a prompt matches a selector: every condition given holds (none given: every prompt). */
export function matchesSelector(prompt: LocatedPrompt, selector: PromptSelector): boolean {
  const { record } = prompt;
  if (selector.ids !== undefined && !selector.ids.includes(record.id)) return false;
  if (selector.tags !== undefined && !selector.tags.some((t) => record.tags.includes(t))) return false;
  if (selector.sources !== undefined && !selector.sources.includes(prompt.sourceName)) return false;
  if (selector.excludeTags?.some((t) => record.tags.includes(t))) return false;
  return true;
}

/**
 * The rubrics of one prompt: its instance rubric (unless `instanceWeight` is 0), then every rule
 * whose selector matches it. A rubric named twice keeps its first entry.
 */
export function rubricsForPrompt(options: {
  prompt: LocatedPrompt;
  instanceWeight: number;
  apply: readonly RubricRule[];
}): WeightedRubric[] {
  const { prompt, instanceWeight, apply } = options;
  const out: WeightedRubric[] = [];
  const instance = instanceRubricOf(prompt);
  if (instance !== undefined && instanceWeight > 0)
    out.push({ rubricId: instance.id, weight: instanceWeight, from: 'instance' });
  apply.forEach((rule, i) => {
    if (!matchesSelector(prompt, rule.prompts)) return;
    if (out.some((r) => r.rubricId === rule.rubric)) return;
    out.push({ rubricId: rule.rubric, weight: rule.weight, from: i });
  });
  return out;
}
