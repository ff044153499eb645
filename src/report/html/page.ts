import type { ReportData, RunHeader } from '../data/report-data.ts';
import { escapeMarkup, visibleText } from '../svg/escape.ts';
import { answersSection } from './answers-section.ts';
import { evalSection } from './eval-section.ts';
import { stepSection } from './step-section.ts';
import { REPORT_CSS } from './styles.ts';

function statusLine(data: ReportData): string {
  const live = data.header.live;
  const done = data.steps.filter((s) => s.state.kind === 'done').length;
  const total = data.header.totalSteps ?? data.steps.length;
  const counts = `${done} of ${total} steps recorded`;
  if (live === null)
    return `${counts}; the Temporal server did not answer, so step states come from the store alone`;
  const failure =
    live.failure === null
      ? ''
      : `; step ${live.failure.step} failed (${live.failure.type}: ${live.failure.message}) and waits for resume or stop`;
  return `${live.status}: ${counts}${failure}`;
}

function headerBlock(data: ReportData): string {
  const h: RunHeader = data.header;
  const ui =
    h.webUiUrl === null
      ? 'no Web UI address is known (set TEMPORAL_UI_URL)'
      : `<a href="${escapeMarkup(h.webUiUrl)}">${escapeMarkup(h.webUiUrl)}</a>`;
  const rows: Array<[string, string]> = [
    [
      'status',
      `<span class="${h.live?.failure ? 'status-failed' : ''}">${escapeMarkup(statusLine(data))}</span>`,
    ],
    ['model', escapeMarkup(h.modelName ?? 'unknown')],
    ['Temporal Web UI', ui],
    ['configuration', `${escapeMarkup(h.configFile)} (stored as ${escapeMarkup(h.configAddress)})`],
    ['report made', escapeMarkup(h.generatedAt)],
  ];
  return `<header><h1>Training run ${escapeMarkup(h.trainRunId)}</h1>
<nav><a href="#training">Training</a><a href="#evaluation">Evaluation</a><a href="#answers">Held-out answers</a><a href="#config">Configuration</a></nav>
<dl class="facts">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></header>`;
}

function configSection(header: RunHeader): string {
  const error =
    header.configError === null
      ? ''
      : `<p class="note">This configuration does not parse with the current version: ${escapeMarkup(header.configError)}</p>`;
  return `<section id="config"><h2>Configuration</h2>${error}<pre class="config">${visibleText(header.configText)}</pre></section>`;
}

/**
 * The report as one HTML document: inline CSS and inline SVG charts, no script and nothing fetched,
 * so the file opens offline.
 */
export function renderReport(data: ReportData): string {
  const lastStep = data.steps.at(-1)?.step ?? 0;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeMarkup(`Anchorage report: ${data.header.trainRunId}`)}</title>
<style>${REPORT_CSS}</style></head>
<body>
${headerBlock(data)}
${stepSection(data.steps)}
${evalSection({ rows: data.evals, lastStep })}
${answersSection({ prompts: data.heldOut, note: data.heldOutNote })}
${configSection(data.header)}
</body></html>
`;
}
