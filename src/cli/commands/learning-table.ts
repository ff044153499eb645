import type { EvalAnswer } from '../../train/eval-answers.ts';
import type { LearningSummary } from '../../train/learning-summary.ts';

/** How many criteria the summary lists. */
const CRITERIA_SHOWN = 6;

const signed = (v: number, digits = 3) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

/** The held-out evaluation before and after training, side by side (nothing when there is no pair). */
export function printLearningSummary(options: {
  summary: LearningSummary | undefined;
  print: (line: string) => void;
}): void {
  const { summary, print } = options;
  if (summary === undefined) return;
  const { before, after } = summary;
  print('');
  print(
    `held-out mean reward: ${before.reward.toFixed(3)} (step ${before.step}) -> ${after.reward.toFixed(3)} (step ${after.step}), ${signed(summary.delta)}`,
  );
  const moved = summary.criteria.filter((c) => c.after !== c.before).slice(0, CRITERIA_SHOWN);
  if (moved.length === 0) return;
  print('criteria that moved most (held-out pass rate, before -> after):');
  const width = Math.max(...moved.map((c) => c.id.length));
  for (const c of moved) {
    print(
      `  ${c.id.padEnd(width)}  ${c.before.toFixed(2)} -> ${c.after.toFixed(2)}  ${signed(c.after - c.before, 2)}`,
    );
  }
}

/** Longest answer text shown; the rest is elided. */
const ANSWER_CHARS = 600;

const indent = (text: string) =>
  (text.length > ANSWER_CHARS ? `${text.slice(0, ANSWER_CHARS)} [...]` : text)
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

/** One held-out prompt's answers before and after, with the criteria each met or missed. */
export function printAnswerPair(options: {
  pair: { before: EvalAnswer; after: EvalAnswer; beforeStep: number; afterStep: number };
  print: (line: string) => void;
}): void {
  const { pair, print } = options;
  print('');
  print(`the held-out prompt whose reward rose most (${pair.before.promptId}):`);
  print(indent(pair.before.promptText));
  for (const [label, answer] of [
    [`before (step ${pair.beforeStep})`, pair.before],
    [`after (step ${pair.afterStep})`, pair.after],
  ] as const) {
    const verdicts = answer.verdicts
      .filter((v) => v.kind === 'score' || (v.score !== null && v.score < 1))
      .map((v) =>
        v.kind === 'veto'
          ? `vetoed by ${v.id} (${v.reason})`
          : `${v.id} ${v.score === null ? 'n/a' : v.score >= 1 ? 'met' : 'missed'}`,
      )
      .join(', ');
    print(`  ${label}: reward ${answer.reward === null ? 'n/a' : answer.reward.toFixed(3)}; ${verdicts}`);
    print(indent(answer.response));
  }
}
