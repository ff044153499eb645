import { z } from 'zod';
import { formatFieldPath } from '../../util/field-path.ts';
import type { ResolvedCriterion } from '../resolve.ts';
import type { Tier } from '../schema.ts';
import { REPLY_PLACEHOLDERS } from './prompts.ts';

/**
 * Reading judge replies. A reply is JSON validated by zod, reason before tier; the tier is given by
 * its label or its score as the rubric writes them and maps back onto the criterion's tiers. Anything
 * else (not JSON, wrong shape, unknown tier, a criterion left out, a reason copied from the reply
 * template's placeholder or only the criterion's id or a tier label) is a problem described in words, which goes back to the model in the
 * repair attempt and, if it persists, into the unscorable reason.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The grade for one criterion, mapped onto its tiers. */
export interface TierChoice {
  tier: Tier;
  reason: string;
}

const TierAnswer = z.union([z.string().trim().min(1), z.number().finite()]);

/** Per-criterion reply. Field order is the order the prompt asks for: reason, then tier. */
export const CriterionReply = z.object({
  reason: z.string().trim().min(1),
  tier: TierAnswer,
});

/** One entry of a rubric-mode reply: criterion id, reason, tier. */
export const RubricReplyEntry = z.object({
  criterion: z.string().min(1),
  reason: z.string().trim().min(1),
  tier: TierAnswer,
});

/** Rubric-mode reply; entries are checked one by one so one bad entry does not void the others. */
export const RubricReply = z.object({ verdicts: z.array(z.unknown()) });

/**
 * The JSON value in a reply. Tolerates what servers commonly wrap around it: a reasoning block
 * (`<think>...</think>`), a Markdown code fence, or prose around one object.
 */
export function extractJson(content: string): Parsed<unknown> {
  const text = content.replace(/<think>[\s\S]*?<\/think>/g, '').trim();
  if (text === '') return { ok: false, problem: 'the reply is empty' };
  const candidates = [text];
  const fenced = /```(?:json)?\s*\n([\s\S]*?)\n?```/.exec(text);
  if (fenced?.[1] !== undefined) candidates.push(fenced[1]);
  const open = text.indexOf('{');
  const close = text.lastIndexOf('}');
  if (open >= 0 && close > open) candidates.push(text.slice(open, close + 1));
  let firstError = '';
  for (const candidate of candidates) {
    try {
      return { ok: true, value: JSON.parse(candidate) };
    } catch (error) {
      firstError ||= (error as Error).message;
    }
  }
  return { ok: false, problem: `the reply is not JSON (${firstError}); it began: ${quote(text, 80)}` };
}

/**
 * The tier an answer names: a string matches a label (exactly, then ignoring case and spaces) and
 * then a score written as text; a number matches a score and then a label written as a number.
 */
export function matchTier(options: { tiers: readonly Tier[]; answer: string | number }): Tier | undefined {
  const { tiers, answer } = options;
  if (typeof answer === 'number') {
    return tiers.find((t) => t.score === answer) ?? tiers.find((t) => t.label.trim() === String(answer));
  }
  const text = answer.trim();
  const folded = text.toLowerCase();
  const byLabel =
    tiers.find((t) => t.label === text) ?? tiers.find((t) => t.label.trim().toLowerCase() === folded);
  if (byLabel !== undefined) return byLabel;
  if (/^-?\d+(\.\d+)?$/.test(text)) return tiers.find((t) => t.score === Number(text));
  return undefined;
}

/** Lower case, one space between words: how reasons and placeholders are compared. */
const fold = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim();

/** Placeholders whose words no written reason contains ("criterion id" may well appear in one). */
const DISTINCTIVE: ReadonlySet<string> = new Set([REPLY_PLACEHOLDERS.reason, REPLY_PLACEHOLDERS.tier]);

/**
 * The placeholder of the reply template that `reason` repeats instead of grading, or undefined. A
 * reason echoes the template when it contains a placeholder with its angle brackets, contains the
 * words of the reason or tier placeholder, or is nothing but a placeholder's words (quotes, brackets
 * and full stops aside).
 */
export function echoedPlaceholder(reason: string): string | undefined {
  const text = fold(reason);
  const bare = text.replace(/^["'<.\s]+|["'>.\s]+$/g, '');
  return Object.values(REPLY_PLACEHOLDERS).find((placeholder) => {
    const words = fold(placeholder.slice(1, -1));
    return (
      text.includes(fold(placeholder)) ||
      bare === words ||
      (DISTINCTIVE.has(placeholder) && text.includes(words))
    );
  });
}

function choose(options: {
  criterion: ResolvedCriterion;
  answer: string | number;
  reason: string;
}): Parsed<TierChoice> {
  const { criterion, answer, reason } = options;
  const echoed = echoedPlaceholder(reason);
  if (echoed !== undefined) {
    return {
      ok: false,
      problem: `criterion "${criterion.id}": the reason repeats the reply template's placeholder ${JSON.stringify(echoed)} instead of explaining the grade from the response`,
    };
  }
  // A reason that is only a name from the prompt (the criterion's id, a tier's label) explains nothing.
  const bare = fold(reason).replace(/^["'.\s]+|["'.\s]+$/g, '');
  const named = [criterion.id, ...criterion.tiers.map((t) => t.label)].find((name) => fold(name) === bare);
  if (named !== undefined) {
    return {
      ok: false,
      problem: `criterion "${criterion.id}": the reason is only ${JSON.stringify(named)}, a name from the prompt, not an explanation of the grade`,
    };
  }
  const tier = matchTier({ tiers: criterion.tiers, answer });
  if (tier === undefined) {
    const known = criterion.tiers.map((t) => `${JSON.stringify(t.label)} (score ${t.score})`).join(', ');
    return {
      ok: false,
      problem: `criterion "${criterion.id}": tier ${JSON.stringify(answer)} is not one of its tiers: ${known}`,
    };
  }
  return { ok: true, value: { tier, reason: reason.trim() } };
}

/** Reads a per-criterion reply. */
export function parseCriterionReply(options: {
  content: string;
  criterion: ResolvedCriterion;
}): Parsed<TierChoice> {
  const json = extractJson(options.content);
  if (!json.ok) return json;
  const parsed = CriterionReply.safeParse(json.value);
  if (!parsed.success) return { ok: false, problem: `wrong shape: ${describeIssues(parsed.error)}` };
  return choose({ criterion: options.criterion, answer: parsed.data.tier, reason: parsed.data.reason });
}

/**
 * Reads a rubric-mode reply into one outcome per criterion: a criterion whose entry is missing,
 * malformed, graded twice differently or given an unknown tier gets a problem; the others are usable.
 */
export function parseRubricReply(options: {
  content: string;
  criteria: readonly ResolvedCriterion[];
}): Map<string, Parsed<TierChoice>> {
  const { criteria } = options;
  const outcomes = new Map<string, Parsed<TierChoice>>();
  const failAll = (problem: string) => {
    for (const c of criteria) outcomes.set(c.id, { ok: false, problem });
    return outcomes;
  };
  const json = extractJson(options.content);
  if (!json.ok) return failAll(json.problem);
  const reply = RubricReply.safeParse(json.value);
  if (!reply.success) return failAll(`wrong shape: ${describeIssues(reply.error)}`);
  const byId = new Map(criteria.map((c) => [c.id, c]));
  const conflicted = new Set<string>();
  reply.data.verdicts.forEach((raw, index) => {
    const entry = RubricReplyEntry.safeParse(raw);
    const id = (raw as { criterion?: unknown } | null)?.criterion;
    if (typeof id !== 'string' || !byId.has(id)) return; // unattributable or not asked for: ignored
    const criterion = byId.get(id)!;
    let outcome: Parsed<TierChoice>;
    if (!entry.success) {
      outcome = {
        ok: false,
        problem: `criterion "${id}": wrong shape: ${describeIssues(entry.error, ['verdicts', index])}`,
      };
    } else {
      outcome = choose({ criterion, answer: entry.data.tier, reason: entry.data.reason });
    }
    const prior = outcomes.get(id);
    if (conflicted.has(id)) return;
    if (prior === undefined || (!prior.ok && outcome.ok)) outcomes.set(id, outcome);
    else if (prior.ok && outcome.ok && prior.value.tier !== outcome.value.tier) {
      conflicted.add(id);
      outcomes.set(id, { ok: false, problem: `criterion "${id}" is graded twice with different tiers` });
    }
  });
  for (const c of criteria) {
    if (!outcomes.has(c.id))
      outcomes.set(c.id, { ok: false, problem: `criterion "${c.id}" is missing from "verdicts"` });
  }
  return outcomes;
}

function describeIssues(error: z.ZodError, prefix: (string | number)[] = []): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = formatFieldPath([...prefix, ...(issue.path as (string | number)[])]);
      return `${path === '' ? 'the reply' : path}: ${issue.message}`;
    })
    .join('; ');
}

function quote(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max)}...` : flat);
}
