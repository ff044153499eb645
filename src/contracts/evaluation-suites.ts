/**
 * Which of a run's evaluations run an evaluation suite (`evaluation.suites[].at`): `every` evaluated
 * checkpoint; only the run's `last` one; or its two `ends`, the base policy (step 0) and the last.
 * A long suite (IFEval's 541 answers) measured at the ends only keeps the evaluations in between
 * quick. Scheduled evaluations (`anchorage eval-schedule`) run every suite whatever its `at`.
 * "Last" is the last step as planned when the evaluation starts: a last stage that an evaluation's
 * threshold ends early (`advanceWhen` on an `eval/` metric) ends without them; measure that
 * checkpoint with `anchorage eval --run <id> --step <n>`.
 */
export const SUITE_AT = ['every', 'last', 'ends'] as const;
export type SuiteAt = (typeof SUITE_AT)[number];

/**
 * The suites due at the evaluation of checkpoint `step` of a run whose last step is `lastStep`;
 * `at` names the suites not run at `every` evaluation (absent: all are).
 */
export function suitesDue(options: {
  suites: readonly string[];
  at?: Readonly<Record<string, SuiteAt>>;
  step: number;
  lastStep: number;
}): string[] {
  const { suites, at = {}, step, lastStep } = options;
  return suites.filter((suite) => {
    const when = at[suite] ?? 'every';
    if (when === 'every') return true;
    if (step === lastStep) return true;
    return when === 'ends' && step === 0;
  });
}
