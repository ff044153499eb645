import type { AdaptiveDefenceSettings } from '../config/defence.ts';
import type { Finding } from './findings.ts';
import { isOnset, trendOf } from './onset.ts';
import { groupPhrases, phraseFrequency, phraseStats } from './phrases.ts';
import {
  aboveGroupMean,
  type DisagreedCriterion,
  type MonitoredResponse,
  stepSignals,
  TRENDED_SIGNALS,
} from './signals.ts';

/**
 * The monitor's reading of one training step, pure: the step's signals and monitor scores, which
 * trends rise (over `window` steps, from the earlier steps' monitor records), which began here,
 * and the findings a defence could answer. src/step/monitor.ts reads the store and writes the result.
 */

/** What the monitor kept of an earlier step: its signals and its rising trends. */
export interface EarlierStep {
  step: number;
  signals: Readonly<Record<string, number>>;
  trends: readonly string[];
  /** The step's response texts (for the frequency of a phrase flagged now). */
  texts: readonly string[];
}

/** A monitor criterion a finding can turn into a veto: a verifier criterion of a monitor rubric. */
export interface MonitorCriterion {
  rubricId: string;
  criterionId: string;
  description: string;
  verifier: { name: string; params: unknown } | undefined;
}

/**
 * Trends by name: `length`, `repetition`, `outliers`, `disagreement` (more high-reward answers whose
 * judge samples disagree), `heldout` (the training reward pulls away from the held-out reward), and
 * `phrase` (a phrase growing with reward).
 */
const TREND_NAME: Record<(typeof TRENDED_SIGNALS)[number]['signal'], string> = {
  length_mean: 'length',
  repetition: 'repetition',
  outlier_fraction: 'outliers',
  judge_disagreement_fraction: 'disagreement',
  heldout_gap: 'heldout',
};
export const TRENDS = ['length', 'repetition', 'outliers', 'disagreement', 'heldout', 'phrase'] as const;

/** Phrases looked at for a trend per step, at most (the most correlated). */
const MAX_PHRASE_CANDIDATES = 20;

/** The shorter contiguous parts of a phrase (`a b c`: a, b, c, a b, b c). */
export function subPhrases(phrase: string): string[] {
  const words = phrase.split(' ');
  const out: string[] = [];
  for (let n = 1; n < words.length; n++) {
    for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(' '));
  }
  return out;
}

export interface StepReading {
  signals: Record<string, number>;
  trends: string[];
  onsets: string[];
  findings: Finding[];
  /** `monitor/*` metrics of the step. */
  metrics: Record<string, number>;
}

export function analyseStep(options: {
  responses: readonly MonitoredResponse[];
  /** Mean normalised score per monitor rubric and criterion over the step. */
  monitorMeans: { rubrics: Readonly<Record<string, number>>; criteria: Readonly<Record<string, number>> };
  monitorCriteria: readonly MonitorCriterion[];
  /** The earlier steps of the window, oldest first (the step before last). */
  earlier: readonly EarlierStep[];
  settings: AdaptiveDefenceSettings;
  /** Signals measured outside the rollouts and their rewards (`heldout_gap`), where they exist. */
  measured?: Readonly<Record<string, number>>;
}): StepReading {
  const { responses, earlier, settings } = options;
  const signals: Record<string, number> = { ...stepSignals(responses), ...options.measured };
  const previous = earlier.at(-1);
  const trends: string[] = [];
  const findings: Finding[] = [];
  const windowOf = (signal: string) => [
    ...earlier.slice(-(settings.window - 1)).map((e) => e.signals[signal] ?? Number.NaN),
    signals[signal]!,
  ];
  for (const { signal, relative } of TRENDED_SIGNALS) {
    if (signals[signal] === undefined) continue;
    const series = windowOf(signal).filter(Number.isFinite);
    const trend = trendOf({
      series,
      window: settings.window,
      minRise: relative ? settings.minLengthRise : settings.minRise,
      relative,
    });
    if (!trend.rising) continue;
    trends.push(TREND_NAME[signal]);
    if (signal === 'length_mean') {
      const start = earlier.slice(-(settings.window - 1))[0];
      findings.push({
        kind: 'length',
        history: series,
        baselineP90: start?.signals.length_p90 ?? signals.length_p90!,
      });
    }
    if (signal === 'repetition') findings.push({ kind: 'repetition', history: series });
  }

  // Phrases that go with the reward across prompts and spread from step to step.
  const groups = new Set(responses.map((r) => r.group)).size;
  const stats = phraseStats({
    responses,
    maxWords: settings.maxPhraseWords,
    minSupport: settings.minSupport,
  });
  const byPhrase = new Map(stats.map((s) => [s.phrase, s]));
  const candidates = stats
    .filter(
      (s) =>
        s.correlation >= settings.minCorrelation &&
        s.prompts >= Math.min(2, groups) &&
        s.meanWith !== null &&
        (s.meanWithout === null || s.meanWith > s.meanWithout) &&
        // A longer phrase owes its correlation to a part of it (`0 pad` to `0`): the part is the finding.
        !subPhrases(s.phrase).some((p) => (byPhrase.get(p)?.correlation ?? -1) >= s.correlation - 1e-9),
    )
    .slice(0, MAX_PHRASE_CANDIDATES);
  const window = earlier.slice(-(settings.window - 1));
  const spreading = candidates.flatMap((s) => {
    const history = [
      ...window.map((e) =>
        phraseFrequency({ texts: e.texts, phrase: s.phrase, maxWords: settings.maxPhraseWords }),
      ),
      s.frequency,
    ];
    const trend = trendOf({ series: history, window: settings.window, minRise: settings.minRise });
    return trend.rising ? [{ ...s, history }] : [];
  });
  const phrases = groupPhrases(spreading);
  if (phrases.length > 0) trends.push('phrase');
  for (const p of phrases) {
    findings.push({
      kind: 'phrase',
      phrase: p.phrase,
      correlation: p.correlation,
      frequency: p.frequency,
      history: p.history,
    });
  }

  // Monitor criteria that answers rewarded above their group's mean fail.
  const above = aboveGroupMean(responses);
  for (const c of options.monitorCriteria) {
    if (c.verifier === undefined) continue;
    const count = responses.filter((r, i) => above[i] && r.failed.includes(c.criterionId)).length;
    if (count < settings.minSupport) continue;
    findings.push({
      kind: 'monitor',
      rubricId: c.rubricId,
      criterionId: c.criterionId,
      description: c.description,
      verifier: c.verifier,
      count,
    });
  }

  // Judged criteria whose samples disagree on answers rewarded above their group's mean, while that
  // share rises: the answers may win on the judge's ambiguity (most disagreed first).
  if (trends.includes('disagreement')) {
    const counts = new Map<string, { criterion: DisagreedCriterion; count: number }>();
    responses.forEach((r, i) => {
      if (!above[i]) return;
      for (const c of r.judgeDisagreesOn ?? []) {
        const id = `${c.rubricId}\u0000${c.criterionId}`;
        const entry = counts.get(id) ?? { criterion: c, count: 0 };
        entry.count++;
        counts.set(id, entry);
      }
    });
    const flagged = [...counts.values()]
      .filter((e) => e.count >= settings.minSupport)
      .sort((a, b) => b.count - a.count);
    for (const { criterion, count } of flagged) findings.push({ kind: 'disagreement', ...criterion, count });
  }

  const onsets = trends.filter((t) =>
    isOnset({ risingNow: true, risingBefore: previous?.trends.includes(t) ?? false }),
  );
  const metrics: Record<string, number> = {
    'monitor/length/mean': signals.length_mean!,
    'monitor/length/p90': signals.length_p90!,
    'monitor/repetition/mean': signals.repetition!,
    'monitor/outlier_fraction': signals.outlier_fraction!,
    ...(signals.judge_disagreement_fraction === undefined
      ? {}
      : { 'monitor/judge_disagreement_fraction': signals.judge_disagreement_fraction }),
    ...(signals.heldout_gap === undefined ? {} : { 'monitor/heldout_gap': signals.heldout_gap }),
    'monitor/phrases_flagged': phrases.length,
    'monitor/findings': findings.length,
  };
  const top = candidates[0] ?? stats[0];
  if (top !== undefined) metrics['monitor/phrase/top_correlation'] = top.correlation;
  for (const [id, v] of Object.entries(options.monitorMeans.rubrics))
    metrics[`monitor/reward/rubric/${id}/mean`] = v;
  for (const [id, v] of Object.entries(options.monitorMeans.criteria))
    metrics[`monitor/reward/criterion/${id}/mean`] = v;
  for (const t of TRENDS) {
    metrics[`monitor/trend/${t}`] = trends.includes(t) ? 1 : 0;
    if (onsets.includes(t)) metrics[`monitor/onset/${t}`] = 1;
  }
  return { signals, trends, onsets, findings, metrics };
}
