import type { AnswerView, HeldOutPrompt } from '../../report/data/report-data.ts';
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

/** An answer's reward and the criteria it met or missed, vetoes that voided it named with their reason. */
function verdictLine(answer: AnswerView): string {
  const r = answer.reward;
  const reward =
    r.status === 'scored' ? r.value.toFixed(3) : r.status === 'unscorable' ? 'unscorable' : 'n/a';
  const verdicts = answer.criteria
    .filter((c) => c.kind === 'score' || c.vetoFired)
    .map((c) => {
      if (c.vetoFired) return `vetoed by ${c.criterionId} (${c.reason})`;
      if (c.tierScore === null) return `${c.criterionId} n/a`;
      return `${c.criterionId} ${c.tierScore >= c.topScore ? 'met' : 'missed'}`;
    })
    .join(', ');
  return `reward ${reward}; ${verdicts}`;
}

/** One held-out prompt's answers before and after (the prompt whose reward rose most). */
export function printAnswerPair(options: { prompt: HeldOutPrompt; print: (line: string) => void }): void {
  const { prompt, print } = options;
  print('');
  print(`the held-out prompt whose reward rose most (${prompt.promptId}):`);
  print(indent(prompt.promptText));
  prompt.answers.forEach((answer, i) => {
    print(`  ${i === 0 ? 'before' : 'after'} (step ${answer.step}): ${verdictLine(answer)}`);
    print(indent(answer.text));
  });
}
