import type { DrawParams } from './generation-types.ts';

/**
 * How a decode step draws tokens: in the graph (full distribution, or greedy), from the graph's
 * top-k candidates (top-k, then top-p within them), or from each whole logits row in JavaScript
 * (top-p alone, rows that differ in temperature or filter, constrained rows).
 */
export type DrawMode = 'graph' | 'top-k' | 'full-row';

export interface DrawPlan {
  readonly mode: DrawMode;
  /** The graph's temperature input ('graph' mode; 1 otherwise). */
  readonly temperature: number;
  /** The graph's greedy input ('graph' mode with temperature 0). */
  readonly greedy: boolean;
  /** Candidates the graph returns ('top-k' mode; 1 otherwise). */
  readonly topK: number;
}

/**
 * The cheapest mode that draws what `sampleToken` would for every row of a step. The graph takes
 * one temperature and one k per run, so rows must agree on them for the graph to draw; a row with
 * a constraint needs its logits masked first, so it needs the whole row. Pure.
 */
export function planDraws(options: {
  rows: readonly { params: DrawParams; constrained: boolean }[];
  vocabSize: number;
}): DrawPlan {
  const { rows, vocabSize } = options;
  const fullRow: DrawPlan = { mode: 'full-row', temperature: 1, greedy: false, topK: 1 };
  const first = rows[0];
  if (first === undefined || rows.some((r) => r.constrained)) return fullRow;
  // A top-k that keeps the whole vocabulary filters nothing, and sampleToken (the first token after
  // a prefill) ignores it: drawing from the graph's candidates would walk them by rank, not by id.
  const topK = (p: DrawParams) => (p.topK < vocabSize ? p.topK : 0);
  const inGraph = (p: DrawParams) => p.temperature === 0 || (topK(p) === 0 && p.topP >= 1);
  const t = first.params.temperature;
  if (rows.every((r) => inGraph(r.params) && r.params.temperature === t)) {
    return { mode: 'graph', temperature: t, greedy: t === 0, topK: 1 };
  }
  const k = topK(first.params);
  if (k > 0 && rows.every((r) => r.params.temperature > 0 && topK(r.params) === k)) {
    return { mode: 'top-k', temperature: 1, greedy: false, topK: k };
  }
  return fullRow;
}
