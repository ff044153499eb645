import { groupCentred, tokenize } from './phrases.ts';

/**
 * The numbers the monitor follows from step to step, pure: response length, repetition, the share
 * of outliers (answers rewarded above their group's mean that a monitor rubric fails: a high reward
 * the independent checks do not agree with), and, where the judge was asked several times per
 * criterion, the share of such answers whose judge samples disagree (a high reward the judge itself
 * is unsure of).
 */

/** A criterion of a response's reward whose judge samples disagree. */
export interface DisagreedCriterion {
  rubricId: string;
  criterionId: string;
  /** The criterion's description, as the rubric states it (what a defence would grade more strictly). */
  description: string;
}

/** One response as the monitor sees it. */
export interface MonitoredResponse {
  text: string;
  reward: number | null;
  group: number;
  /** Monitor criteria (ids) the response fails. */
  failed: readonly string[];
  /**
   * The criteria of the response's reward whose judge samples (judge `samples` > 1) disagree, empty
   * when every compared criterion agreed; absent where no criterion had two scored samples
   * (judge-samples.ts): nothing to compare is not agreement.
   */
  judgeDisagreesOn?: readonly DisagreedCriterion[];
}

export interface StepSignals {
  /** Mean and 90th percentile of the response length, in characters. */
  length_mean: number;
  length_p90: number;
  /** Mean share of repeated word trigrams in a response (0: none repeated). */
  repetition: number;
  /** Share of scored responses rewarded above their group's mean that fail a monitor criterion. */
  outlier_fraction: number;
  /**
   * Share of the scored responses with judge samples to compare (`judgeDisagreesOn` present) that are
   * rewarded above their group's mean and whose samples disagree on a criterion. Absent, not 0, when
   * no response has them (the judge asked once, or no criterion is judged).
   */
  judge_disagreement_fraction?: number;
}

/** The signals whose rise the monitor watches, and whether a rise is measured relative to the start. */
export const TRENDED_SIGNALS = [
  { signal: 'length_mean', relative: true },
  { signal: 'repetition', relative: false },
  { signal: 'outlier_fraction', relative: false },
  /** Where the judge was asked several times per criterion (absent otherwise: no trend). */
  { signal: 'judge_disagreement_fraction', relative: false },
  /** Training reward less held-out reward at the latest evaluation, where the run evaluates (src/step/monitor.ts). */
  { signal: 'heldout_gap', relative: false },
] as const;

/** Share of a text's word trigrams that repeat an earlier one (0 for fewer than 3 words). */
export function repeatedTrigramShare(text: string): number {
  const tokens = tokenize(text);
  if (tokens.length < 3) return 0;
  const seen = new Set<string>();
  let repeated = 0;
  for (let i = 0; i + 3 <= tokens.length; i++) {
    const t = tokens.slice(i, i + 3).join(' ');
    if (seen.has(t)) repeated++;
    else seen.add(t);
  }
  return repeated / (tokens.length - 2);
}

/** The value below which a share q of the sorted values lie (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Which scored responses are rewarded above their group's mean. */
export function aboveGroupMean(responses: readonly Pick<MonitoredResponse, 'reward' | 'group'>[]): boolean[] {
  return groupCentred(responses).map((centred) => centred !== null && centred > 1e-9);
}

export function stepSignals(responses: readonly MonitoredResponse[]): StepSignals {
  const n = responses.length;
  const lengths = responses.map((r) => [...r.text].length);
  const above = aboveGroupMean(responses);
  const scored = responses.filter((r) => r.reward !== null).length;
  const outliers = responses.filter((r, i) => above[i] && r.failed.length > 0).length;
  const sampled = responses.filter((r) => r.reward !== null && r.judgeDisagreesOn !== undefined).length;
  const unsure = responses.filter((r, i) => above[i] && (r.judgeDisagreesOn?.length ?? 0) > 0).length;
  return {
    length_mean: n === 0 ? 0 : lengths.reduce((a, b) => a + b, 0) / n,
    length_p90: quantile(lengths, 0.9),
    repetition: n === 0 ? 0 : responses.reduce((a, r) => a + repeatedTrigramShare(r.text), 0) / n,
    outlier_fraction: scored === 0 ? 0 : outliers / scored,
    ...(sampled === 0 ? {} : { judge_disagreement_fraction: unsure / sampled }),
  };
}
