import { suiteNames } from '../../eval/suites.ts';
import type { MetricsRecord } from '../../train/metrics.ts';

/**
 * The evaluation suites' numbers of a run's evaluations (`eval/<suite>/<key>` in the metrics), one
 * line per evaluation and suite, and each suite that failed with its reason (its numbers are left
 * out, never 0). Nothing when no evaluation ran a suite.
 */
export function printSuiteTable(options: {
  lines: readonly MetricsRecord[];
  print: (line: string) => void;
}): void {
  const { lines, print } = options;
  const suites = suiteNames();
  const rows: string[] = [];
  for (const record of lines) {
    if (record.purpose !== 'eval') continue;
    for (const suite of suites) {
      const prefix = `eval/${suite}/`;
      const numbers = Object.entries(record.metrics)
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, value]) => `${key.slice(prefix.length)} ${formatNumber(value)}`);
      if (numbers.length > 0) rows.push(`${rowHead(record.step, suite)}${numbers.join(' · ')}`);
    }
    for (const failure of record.failures ?? []) {
      rows.push(
        `${rowHead(record.step, failure.what.replace(/^eval\//, ''))}failed: ${failure.type}: ${failure.message}`,
      );
    }
  }
  if (rows.length === 0) return;
  print('evaluation suites:');
  for (const row of rows) print(row);
}

const rowHead = (step: number, suite: string) => `${String(step).padStart(4)}  ${suite.padEnd(10)}  `;

/** Integers (counts) as they are, the rest to 4 significant digits. */
function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}
