import type { JudgeStats, MeteredRubricJudge } from '../rubric/judge/types.ts';
import type { JudgeCounts, TrainingTelemetry } from './training-telemetry.ts';

const COUNTED = ['requests', 'cacheHits', 'cacheMisses', 'retries', 'repairs', 'unscorable'] as const;

/**
 * The judge, reporting each call's latency (and whether it threw) and the increments of its counters
 * (requests, verdict cache hits and misses, retries, repairs, unscorable verdicts) to `telemetry`.
 * Increments are taken against the last snapshot reported, not per call, so calls in flight together
 * never count one increment twice. Verdicts and `stats()` are the judge's own.
 */
export function judgeWithTelemetry(
  judge: MeteredRubricJudge,
  telemetry: TrainingTelemetry,
): MeteredRubricJudge {
  let reported: JudgeStats = judge.stats();
  const report = () => {
    const now = judge.stats();
    const counts = Object.fromEntries(COUNTED.map((k) => [k, Math.max(0, now[k] - reported[k])])) as Record<
      keyof JudgeCounts,
      number
    >;
    reported = now;
    if (COUNTED.some((k) => counts[k] > 0)) telemetry.judgeCounts(counts);
  };
  return {
    async judge(request) {
      const started = performance.now();
      let failed = true;
      try {
        const verdicts = await judge.judge(request);
        failed = false;
        return verdicts;
      } finally {
        telemetry.judgeCall({ ms: performance.now() - started, failed });
        report();
      }
    },
    stats: () => judge.stats(),
  };
}
