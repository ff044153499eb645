import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MonitoredResponse, stepSignals } from './signals.ts';

/** Two groups of four answers: rewards 1, 1, 0, 0 (the first two above their group's mean). */
function batch(judgeDisagrees: (group: number, i: number) => boolean | undefined): MonitoredResponse[] {
  return [0, 1].flatMap((group) =>
    [0, 1, 2, 3].map((i) => {
      const disagrees = judgeDisagrees(group, i);
      return {
        text: `answer ${group} ${i}`,
        reward: i < 2 ? 1 : 0,
        group,
        failed: [],
        ...(disagrees === undefined
          ? {}
          : { judgeDisagreesOn: disagrees ? [{ rubricId: 'r', criterionId: 'c', description: 'd' }] : [] }),
      };
    }),
  );
}

describe('the judge disagreement signal', () => {
  it('is the share of answers judged with samples that are rewarded above the mean and disagree', () => {
    // Group 0: both high-reward answers disagree; group 1: one does; the low-reward ones disagree too
    // (they do not count: a low reward the judge is unsure of is no sign of hacking).
    const signals = stepSignals(batch((group, i) => (group === 0 ? true : i !== 1)));
    assert.equal(signals.judge_disagreement_fraction, 3 / 8);
    assert.equal(signals.outlier_fraction, 0);
  });

  it('is 0 when the judge samples of every high-reward answer agree', () => {
    const signals = stepSignals(batch((_, i) => i >= 2));
    assert.equal(signals.judge_disagreement_fraction, 0);
  });

  it('counts only the answers with samples to compare, and leaves out the unscorable', () => {
    // Group 1 has no samples (its prompts judged by verifiers only); one answer of group 0 is unscorable.
    const responses = batch((group, i) => (group === 0 ? i === 0 : undefined)).map((r, k) =>
      k === 3 ? { ...r, reward: null } : r,
    );
    assert.equal(stepSignals(responses).judge_disagreement_fraction, 1 / 3);
  });

  it('is absent, not 0, when no answer has judge samples to compare', () => {
    const signals = stepSignals(batch(() => undefined));
    assert.equal(signals.judge_disagreement_fraction, undefined);
    assert.equal('judge_disagreement_fraction' in signals, false);
    assert.equal('judge_disagreement_fraction' in stepSignals([]), false);
  });
});
