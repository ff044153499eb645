import { type SlopBaseline, type SlopRate, spread } from './slop-baseline.ts';
import type { LexiconMeasure } from './style-measures.ts';

/**
 * The style suite's figures for a person: each rate beside the slop-score human baseline and the
 * leaderboard's models where it has them, then the human-tone reward and answer length.
 *
 *   AI-typical words and phrases per 1,000 words (64 answers, 21,034 words)
 *                                          model    human   22 models: min / median / max
 *     slop-score word list                 23.10     6.90     5.61 / 23.49 / 40.44
 */
export function styleTable(options: {
  summary: Readonly<Record<string, number>>;
  measures: {
    all: LexiconMeasure;
    own: readonly LexiconMeasure[];
    baseline: readonly (LexiconMeasure & { baseline: SlopRate })[];
  };
  slopBaseline: SlopBaseline;
  words: number;
  truncated: number;
}): string[] {
  const { summary, measures, slopBaseline } = options;
  const fmt = (v: number | undefined, width = 8) => (v === undefined ? 'n/a' : v.toFixed(2)).padStart(width);
  const label = (text: string) => `    ${text}`.padEnd(44);
  const answered = summary['answered'] ?? 0;
  const lines = [
    `  AI-typical words and phrases per 1,000 words (${answered} answers, ${options.words.toLocaleString('en-US')} words, pooled)`,
    `${''.padEnd(44)}${'model'.padStart(8)} ${'human'.padStart(8)}   ${slopBaseline.models.length} models: min / median / max`,
  ];
  for (const m of measures.baseline) {
    const human = slopBaseline.human[m.baseline];
    const models = spread(slopBaseline.models.map((x) => x[m.baseline]));
    lines.push(
      `${label(m.label)}${fmt(summary[`rate/${m.id}`])} ${fmt(human)}   ${models.min.toFixed(2)} / ${models.median.toFixed(2)} / ${models.max.toFixed(2)}`,
    );
  }
  lines.push(
    `${label(`${measures.all.label} (${measures.all.id})`)}${fmt(summary[`rate/${measures.all.id}`])}`,
  );
  for (const m of measures.own) lines.push(`${label(`  ${m.id}`)}${fmt(summary[`rate/${m.id}`])}`);
  lines.push(
    `${label(`  over the ${summary['finished'] ?? 0} answers that ended`)}${fmt(summary[`rate/${measures.all.id}/finished`])}`,
  );
  const tone = summary['humanTone/mean'];
  lines.push(
    tone === undefined
      ? '  human-tone reward: n/a (no answer long enough to score)'
      : `  human-tone reward (rules only) ${tone.toFixed(3)}, ${summary['humanTone/scored']} of ${answered} answers scorable`,
  );
  const words = summary['words/mean'];
  const tokens = summary['tokens/mean'];
  lines.push(
    `  answer length: mean ${words === undefined ? 'n/a' : words.toFixed(0)} words, ${tokens === undefined ? 'n/a' : tokens.toFixed(0)} tokens; cut off by the token limit: ${options.truncated} of ${answered}`,
  );
  lines.push(`  human baseline: ${slopBaseline.source}`);
  return lines;
}
