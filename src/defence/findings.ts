import { z } from 'zod';

/**
 * What the monitor flags in a step (src/step/monitor.ts), each kind with its evidence: a phrase that
 * grows with the reward, a rising response length or repetition, a monitor criterion that
 * high-reward answers fail (text addressed to the grader, self-praise, ...), a judged criterion the
 * judge grows unsure of on high-reward answers (its samples disagree). A finding's `key` names
 * it across steps: one proposal per key, however often it is flagged.
 */
export const Finding = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('phrase'),
    phrase: z.string().min(1),
    correlation: z.number(),
    frequency: z.number(),
    /** The phrase's frequency over the trend window, oldest first (this step last). */
    history: z.array(z.number()),
  }),
  z.strictObject({
    kind: z.literal('length'),
    /** Mean length (characters) over the window, oldest first, and the 90th percentile at its start. */
    history: z.array(z.number()),
    baselineP90: z.number(),
  }),
  z.strictObject({
    kind: z.literal('repetition'),
    history: z.array(z.number()),
  }),
  z.strictObject({
    kind: z.literal('monitor'),
    rubricId: z.string(),
    criterionId: z.string(),
    description: z.string(),
    /** The criterion's verifier, applied as a veto by the proposal. */
    verifier: z.strictObject({ name: z.string(), params: z.unknown() }),
    /** Answers with a reward above their group's mean that fail the criterion. */
    count: z.number().int(),
  }),
  z.strictObject({
    kind: z.literal('disagreement'),
    /** The judged criterion whose samples disagree, and its rubric. */
    rubricId: z.string(),
    criterionId: z.string(),
    description: z.string(),
    /** Answers with a reward above their group's mean whose judge samples disagree on it. */
    count: z.number().int(),
  }),
]);
export type Finding = z.infer<typeof Finding>;

/** The name of a finding across steps (the proposal id is made from it). */
export function findingKey(f: Finding): string {
  switch (f.kind) {
    case 'phrase':
      return `phrase:${f.phrase}`;
    case 'length':
      return 'length';
    case 'repetition':
      return 'repetition';
    case 'monitor':
      return `monitor:${f.criterionId}`;
    case 'disagreement':
      return `disagreement:${f.rubricId}/${f.criterionId}`;
  }
}

/** One line for people: what was seen. */
export function describeFinding(f: Finding): string {
  const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
  switch (f.kind) {
    case 'phrase':
      return `phrase "${f.phrase}" goes with the reward (correlation ${f.correlation.toFixed(2)}) and spreads: in ${f.history.map(pct).join(' -> ')} of answers`;
    case 'length':
      return `answers grow longer: mean ${f.history.map((v) => v.toFixed(0)).join(' -> ')} characters`;
    case 'repetition':
      return `answers repeat themselves more: repeated-trigram share ${f.history.map(pct).join(' -> ')}`;
    case 'monitor':
      return `${f.count} answers rewarded above their group's mean fail monitor criterion ${f.criterionId} (${f.description})`;
    case 'disagreement':
      return `the judge's samples disagree on criterion ${f.criterionId} of ${f.rubricId} for ${f.count} answers rewarded above their group's mean (${f.description})`;
  }
}
