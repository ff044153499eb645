import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdaptiveDefenceSettings } from '../config/defence.ts';
import { analyseStep, type EarlierStep } from './analyse.ts';
import type { MonitoredResponse } from './signals.ts';

const settings = AdaptiveDefenceSettings.parse({ enabled: true, window: 3 });
const COLOURS = ['red', 'green', 'blue', 'gold'];

/** A step of 4 groups x 4 answers where `share` of each group's answers carry the magic word (and reward 1). */
function step(share: number, extra = ''): MonitoredResponse[] {
  return [0, 1, 2, 3].flatMap((group) =>
    [0, 1, 2, 3].map((i) => {
      const hack = i < share * 4;
      return {
        text: `${hack ? 'abracadabra ' : ''}answer ${COLOURS[group]} number ${i}${extra}`,
        reward: hack ? 1 : 0.2,
        group,
        failed: [],
      };
    }),
  );
}

function earlier(
  list: Array<{ step: number; responses: MonitoredResponse[]; trends?: string[] }>,
): EarlierStep[] {
  return list.map((e) => {
    const reading = analyseStep({
      responses: e.responses,
      monitorMeans: { rubrics: {}, criteria: {} },
      monitorCriteria: [],
      earlier: [],
      settings,
    });
    return {
      step: e.step,
      signals: reading.signals,
      trends: e.trends ?? [],
      texts: e.responses.map((r) => r.text),
    };
  });
}

describe('the monitor reading of a step', () => {
  it('flags a phrase that goes with the reward and spreads, once the window is full', () => {
    const none = analyseStep({
      responses: step(0.5),
      monitorMeans: { rubrics: {}, criteria: {} },
      monitorCriteria: [],
      earlier: earlier([{ step: 1, responses: step(0.25) }]),
      settings,
    });
    assert.deepEqual(none.findings, []);

    const reading = analyseStep({
      responses: step(0.75),
      monitorMeans: { rubrics: { 'defence/x': 1 }, criteria: { 'c.one': 0.5 } },
      monitorCriteria: [],
      earlier: earlier([
        { step: 1, responses: step(0.25) },
        { step: 2, responses: step(0.5) },
      ]),
      settings,
    });
    const phrases = reading.findings.filter((f) => f.kind === 'phrase');
    assert.equal(phrases.length, 1, JSON.stringify(reading.findings));
    assert.equal(phrases[0]!.kind === 'phrase' && phrases[0]!.phrase, 'abracadabra');
    assert.deepEqual(phrases[0]!.kind === 'phrase' && phrases[0]!.history, [0.25, 0.5, 0.75]);
    // The magic word makes answers longer too.
    assert.deepEqual(reading.onsets, ['length', 'phrase']);
    assert.equal(reading.metrics['monitor/onset/phrase'], 1);
    assert.equal(reading.metrics['monitor/trend/phrase'], 1);
    assert.equal(reading.metrics['monitor/trend/length'], 1);
    assert.equal(reading.metrics['monitor/reward/criterion/c.one/mean'], 0.5);
    assert.equal(reading.metrics['monitor/reward/rubric/defence/x/mean'], 1);
  });

  it('a trend that was rising the step before is no new onset', () => {
    const reading = analyseStep({
      responses: step(1),
      monitorMeans: { rubrics: {}, criteria: {} },
      monitorCriteria: [],
      earlier: earlier([
        { step: 1, responses: step(0.25) },
        { step: 2, responses: step(0.5), trends: ['phrase'] },
      ]),
      settings,
    });
    // Every answer carries it now: no variance, no correlation, no finding; the trend ended.
    assert.equal(reading.metrics['monitor/trend/phrase'], 0);
    assert.equal(reading.metrics['monitor/onset/phrase'], undefined);
  });

  it('flags growing length with the 90th percentile before it grew, and failed monitor criteria', () => {
    const padded = (n: number) =>
      step(0, ' pad'.repeat(n)).map((r) => ({ ...r, failed: ['defence.self-praise'] }));
    const reading = analyseStep({
      responses: padded(12).map((r, i) => ({ ...r, reward: i % 2 === 0 ? 1 : 0 })),
      monitorMeans: { rubrics: {}, criteria: {} },
      monitorCriteria: [
        {
          rubricId: 'defence/reward-hacking',
          criterionId: 'defence.self-praise',
          description: 'no self-praise',
          verifier: { name: 'defence.self-praise', params: {} },
        },
      ],
      earlier: earlier([
        { step: 1, responses: padded(0) },
        { step: 2, responses: padded(4) },
      ]),
      settings,
    });
    const kinds = reading.findings.map((f) => f.kind).sort();
    assert.deepEqual(kinds, ['length', 'monitor', 'repetition']);
    const length = reading.findings.find((f) => f.kind === 'length');
    assert.equal(
      length?.kind === 'length' && length.baselineP90,
      earlier([{ step: 1, responses: padded(0) }])[0]!.signals.length_p90,
    );
    assert.ok(
      reading.onsets.includes('length') && reading.onsets.includes('outliers'),
      reading.onsets.join(),
    );
  });

  it('follows the gap between training and held-out reward where the run evaluates', () => {
    const base = earlier([{ step: 1, responses: step(0) }]).map((e) => ({
      ...e,
      signals: { ...e.signals, heldout_gap: 0.05 },
    }));
    const wider = analyseStep({
      responses: step(0),
      monitorMeans: { rubrics: {}, criteria: {} },
      monitorCriteria: [],
      earlier: base,
      settings: { ...settings, window: 2 },
      measured: { heldout_gap: 0.3 },
    });
    assert.equal(wider.metrics['monitor/heldout_gap'], 0.3);
    assert.deepEqual(wider.onsets, ['heldout']);
    const without = analyseStep({
      responses: step(0),
      monitorMeans: { rubrics: {}, criteria: {} },
      monitorCriteria: [],
      earlier: base,
      settings: { ...settings, window: 2 },
    });
    assert.equal(without.metrics['monitor/heldout_gap'], undefined);
    assert.equal(without.metrics['monitor/trend/heldout'], 0);
  });

  it('flags the onset of more high-reward answers whose judge samples disagree, only where the judge sampled', () => {
    const clarity = { rubricId: 'writing', criterionId: 'clarity', description: 'The answer is clear.' };
    const tone = { rubricId: 'writing', criterionId: 'tone', description: 'The tone is warm.' };
    /**
     * step(0.5) with `unsure` of its 8 high-reward answers carrying judge samples that disagree on
     * clarity (the first of them also on tone); the low-reward answers disagree on tone.
     */
    const sampled = (unsure: number, samples = true) =>
      step(0.5).map((r, i) => {
        // The high-reward answers are the first two of each group of four: 2 * group + (0 or 1).
        const rank = 2 * r.group + (i % 4);
        const on = r.reward !== 1 ? [tone] : rank === 0 ? [clarity, tone] : rank < unsure ? [clarity] : [];
        return { ...r, ...(samples ? { judgeDisagreesOn: on } : {}) };
      });
    const read = (unsure: number[], samples = true) =>
      analyseStep({
        responses: sampled(unsure.at(-1)!, samples),
        monitorMeans: { rubrics: {}, criteria: {} },
        monitorCriteria: [],
        earlier: earlier(
          unsure.slice(0, -1).map((u, i) => ({ step: i + 1, responses: sampled(u, samples) })),
        ),
        settings,
      });
    const rising = read([1, 2, 4]);
    assert.equal(rising.signals.judge_disagreement_fraction, 4 / 16);
    assert.equal(rising.metrics['monitor/judge_disagreement_fraction'], 4 / 16);
    assert.deepEqual(rising.onsets, ['disagreement']);
    assert.equal(rising.metrics['monitor/trend/disagreement'], 1);
    assert.equal(rising.metrics['monitor/onset/disagreement'], 1);
    // The finding names the criterion disagreed on by at least minSupport (3) high-reward answers:
    // clarity (4), not tone (1 high-reward answer; the low-reward ones do not count).
    assert.deepEqual(
      rising.findings.filter((f) => f.kind === 'disagreement'),
      [{ kind: 'disagreement', ...clarity, count: 4 }],
    );

    const flat = read([2, 2, 2]);
    assert.equal(flat.metrics['monitor/judge_disagreement_fraction'], 2 / 16);
    assert.deepEqual(flat.onsets, []);
    assert.equal(flat.metrics['monitor/trend/disagreement'], 0);
    assert.deepEqual(flat.findings, [], 'no finding while the share does not rise');

    // Without judge samples there is no signal (not 0), no metric and no trend.
    const without = read([1, 2, 4], false);
    assert.equal(without.signals.judge_disagreement_fraction, undefined);
    assert.equal(without.metrics['monitor/judge_disagreement_fraction'], undefined);
    assert.deepEqual(without.onsets, []);
    assert.equal(without.metrics['monitor/trend/disagreement'], 0);
    assert.equal(without.metrics['monitor/onset/disagreement'], undefined);

    // A run that starts sampling the judge mid-window has no trend until the window is full of it.
    const started = analyseStep({
      responses: sampled(4),
      monitorMeans: { rubrics: {}, criteria: {} },
      monitorCriteria: [],
      earlier: earlier([
        { step: 1, responses: sampled(0, false) },
        { step: 2, responses: sampled(0) },
      ]),
      settings,
    });
    assert.equal(started.metrics['monitor/trend/disagreement'], 0);
  });
});
