/** The report's stylesheet, inlined into the page (the file opens offline). */
export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1d2329; --muted: #5d6b78; --line: #dde3e8; --bad: #c0392b; --warn: #b9770e; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 0 0 6px; }
h4 { font-size: 13px; margin: 0 0 4px; }
nav a { margin-right: 14px; }
a { color: #0b62a4; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.status-failed, .state-failed td { color: var(--bad); }
.state-incomplete td, .state-running td, .state-not-run td { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px 24px; }
figure.plot { margin: 0; padding: 10px 12px; border: 1px solid var(--line); border-radius: 6px; }
figure.plot.wide { grid-column: 1 / -1; }
figcaption, .note, .facts { color: var(--muted); font-size: 12px; }
.empty { color: var(--muted); font-style: italic; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart.heatmap { width: auto; max-width: 100%; }
svg .grid { stroke: #edf0f2; }
svg .axis { stroke: #8795a1; }
svg .tick, svg .legend, svg .row-label { font-size: 11px; fill: #46525c; }
svg .axis-label { font-size: 11px; fill: var(--muted); }
svg .mark-label { font-size: 10px; font-weight: 600; }
svg .line { fill: none; stroke-width: 2; }
svg .whisker { fill: none; stroke-width: 1.2; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.na { color: var(--warn); text-align: right; }
td.na.failed, .failures strong { color: var(--bad); }
.failures { margin-top: 14px; }
details.table { margin-top: 14px; overflow-x: auto; }
details.table summary { cursor: pointer; color: #0b62a4; }
article.held-out { margin: 18px 0 28px; }
pre { white-space: pre-wrap; word-break: break-word; margin: 6px 0; }
pre.prompt { background: #f4f6f8; padding: 8px 10px; border-radius: 4px; }
pre.text { background: #fbfbf7; border: 1px solid var(--line); padding: 8px 10px; border-radius: 4px; max-height: 320px; overflow: auto; }
pre.config { background: #f4f6f8; padding: 10px 12px; border-radius: 4px; max-height: 480px; overflow: auto; }
.answers { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px; }
p.reward { font-weight: 600; margin: 2px 0; }
p.reward.unscorable, p.reward.not-scored { color: var(--warn); }
td.verdict.pass { color: #1a7f45; }
td.verdict.fail, td.verdict.veto { color: var(--bad); }
td.verdict.partial { color: var(--warn); }
table.criteria { width: 100%; table-layout: fixed; }
table.criteria td { overflow-wrap: anywhere; }
table.criteria col.criterion { width: 30%; } table.criteria col.verdict { width: 13%; }
table.criteria col.reason { width: 39%; } table.criteria col.evaluator { width: 18%; }
td.evaluator { color: var(--muted); }
`;
