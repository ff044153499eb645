import type { BaseTask } from './base-tasks.ts';
import type { SeededRandom } from './rng.ts';

/** What sampling a constraint needs: randomness, the task it is added to, the length budget. */
export interface SampleContext {
  rng: SeededRandom;
  task: BaseTask;
  /** Longest response (in words) the prompts are meant for; counts and thresholds stay under it. */
  budgetWords: number;
  /**
   * Chance that a forbidden-words constraint forbids words of the task itself (words a plain answer
   * would use) instead of words from the generic list; 0 keeps every prompt as without the option.
   */
  forbidTaskWords: number;
}

/** One verifiable constraint: an IFEval instruction with arguments, phrased for the prompt. */
export interface Constraint {
  /** IFEval instruction id, e.g. `punctuation:no_comma`; checked by the verifier `ifeval.<id>`. */
  id: string;
  /** The instruction's arguments, as the verifier takes them. */
  kwargs: Record<string, unknown>;
  /** The sentence added to the prompt. */
  text: string;
  /** Literal texts any response that follows this constraint contains (a keyword, an end phrase). */
  requires: readonly string[];
  /** True when a response containing `text` breaks this constraint (a forbidden word, a comma). */
  bans?: (text: string) => boolean;
}

/** A kind of constraint: which IFEval instruction, when it applies, what it cannot be combined with. */
export interface ConstraintType {
  id: string;
  /** Types it cannot be combined with; a conflict declared on either side counts. */
  conflicts?: readonly string[];
  /** For types that shape the whole output (JSON, repeating the request): the only types they combine with. */
  combinesOnlyWith?: readonly string[];
  /** Default: every task. */
  appliesTo?: (task: BaseTask) => boolean;
  sample(ctx: SampleContext): Constraint;
}

/** Whether two constraint types may appear in one prompt. */
export function compatible(a: ConstraintType, b: ConstraintType): boolean {
  if (a.id === b.id) return false;
  if (a.conflicts?.includes(b.id) || b.conflicts?.includes(a.id)) return false;
  if (a.combinesOnlyWith !== undefined && !a.combinesOnlyWith.includes(b.id)) return false;
  if (b.combinesOnlyWith !== undefined && !b.combinesOnlyWith.includes(a.id)) return false;
  return true;
}

/**
 * Whether sampled constraints can all be followed at once: no constraint bans a text that another
 * one requires (a forbidden word that is also a keyword, a comma in a required end phrase).
 */
export function consistent(constraints: readonly Constraint[]): boolean {
  for (const a of constraints) {
    if (a.bans === undefined) continue;
    for (const b of constraints) {
      if (a !== b && b.requires.some((text) => a.bans!(text))) return false;
    }
  }
  return true;
}

/** Picks one phrasing. */
export function phrase(rng: SeededRandom, options: readonly string[]): string {
  return rng.pick(options);
}

/** "a", "a and b", "a, b and c" with each item quoted. */
export function quotedList(items: readonly string[]): string {
  const q = items.map((w) => `"${w}"`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} and ${q.at(-1)}`;
}

/** Whole-word, case-insensitive occurrence (as the IFEval forbidden-words check counts words). */
export function containsWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\b${escaped}\\b`, 'i').test(text);
}
