import type { AnswerReward, AnswerView, CriterionView, HeldOutPrompt } from '../data/report-data.ts';
import { escapeMarkup, visibleText } from '../svg/escape.ts';
import { formatValue } from '../svg/scale.ts';

function checkpointName(step: number): string {
  return step === 0 ? 'base policy (step 0)' : `after step ${step}`;
}

function rewardText(reward: AnswerReward): string {
  switch (reward.status) {
    case 'scored':
      return `reward ${formatValue(reward.value)}${reward.vetoedBy.length > 0 ? ` (vetoed by ${reward.vetoedBy.join(', ')})` : ''}`;
    case 'unscorable':
      return `reward n/a: unscorable (${reward.reason})`;
    case 'not-scored':
      return 'reward n/a: this evaluation wrote no rewards';
  }
}

function verdictCell(c: CriterionView): string {
  if (c.status === 'unscorable') return '<td class="verdict na">unscorable</td>';
  const score = c.tierScore === null ? '' : ` ${formatValue(c.tierScore)}/${formatValue(c.topScore)}`;
  const passed = c.tierScore !== null && c.tierScore >= c.topScore;
  const cls = c.vetoFired ? 'veto' : passed ? 'pass' : c.tierScore === 0 ? 'fail' : 'partial';
  return `<td class="verdict ${cls}">${escapeMarkup(`${c.tierLabel ?? ''}${score}`)}${c.vetoFired ? ' <strong>veto</strong>' : ''}</td>`;
}

function criteriaTable(criteria: readonly CriterionView[]): string {
  if (criteria.length === 0) return '<p class="empty">no verdicts recorded</p>';
  const rows = criteria.map(
    (c) =>
      `<tr><td title="${escapeMarkup(c.rubricId)}">${escapeMarkup(c.criterionId)}</td>${verdictCell(c)}<td class="reason">${visibleText(c.reason)}</td><td class="evaluator">${escapeMarkup(c.evaluator)}</td></tr>`,
  );
  return `<table class="criteria"><colgroup><col class="criterion"><col class="verdict"><col class="reason"><col class="evaluator"></colgroup><tr><th>criterion</th><th>verdict</th><th>explanation</th><th>by</th></tr>${rows.join('')}</table>`;
}

function answerColumn(answer: AnswerView): string {
  const facts = `${answer.tokens} tokens, finished: ${answer.finishReason}${answer.samples > 1 ? `, first of ${answer.samples} samples` : ''}`;
  return (
    `<div class="answer" data-step="${answer.step}"><h4>${escapeMarkup(checkpointName(answer.step))}</h4>` +
    `<p class="reward ${answer.reward.status}">${escapeMarkup(rewardText(answer.reward))}</p>` +
    `<p class="facts">${escapeMarkup(facts)}</p><pre class="text">${visibleText(answer.text)}</pre>` +
    `${criteriaTable(answer.criteria)}</div>`
  );
}

/** Held-out prompts with their answers side by side at the first and last evaluated checkpoint. */
export function answersSection(options: { prompts: readonly HeldOutPrompt[]; note: string | null }): string {
  const note = options.note === null ? '' : `<p class="note">${escapeMarkup(options.note)}</p>`;
  const prompts = options.prompts.map(
    (p) =>
      `<article class="held-out"><h3>${escapeMarkup(p.promptId)}</h3><pre class="prompt">${visibleText(p.promptText)}</pre>` +
      `<div class="answers">${p.answers.map(answerColumn).join('')}</div></article>`,
  );
  return `<section id="answers"><h2>Held-out answers, first and last evaluated checkpoint</h2>${note}${prompts.join('')}</section>`;
}
