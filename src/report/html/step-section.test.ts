import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StepRow } from '../data/report-data.ts';
import { stepSection } from './step-section.ts';

const row = (step: number, metrics: Record<string, number>): StepRow => ({
  step,
  state: { kind: 'done' },
  stage: 'main',
  at: '2025-01-01T00:00:00.000Z',
  metrics: { 'reward/mean': 0.5, ...metrics },
});

test('the dynamic sampling chart: drawn for runs that record it, left out (not "not recorded") for the rest', () => {
  const off = stepSection([row(1, {}), row(2, {})]);
  assert.ok(!off.includes('dynamic-sampling'), 'no chart and no note without the setting');
  const on = stepSection([
    row(1, {
      'dynamic_sampling/groups_drawn': 6,
      'dynamic_sampling/groups_with_variance': 2,
      'dynamic_sampling/groups_kept': 2,
      'dynamic_sampling/rounds': 2,
    }),
    row(2, {
      'dynamic_sampling/groups_drawn': 2,
      'dynamic_sampling/groups_with_variance': 2,
      'dynamic_sampling/groups_kept': 2,
      'dynamic_sampling/rounds': 0,
    }),
  ]);
  assert.match(on, /data-chart="dynamic-sampling"/);
  assert.match(on, /data-series="drawn \(planned and refills\)" data-x="1" data-y="6"/);
  assert.match(on, /data-series="refill rounds" data-x="2" data-y="0"/);
});

test('adaptive defence: the monitor rubrics heat map and the monitor chart, only for runs that record them', () => {
  const off = stepSection([row(1, {}), row(2, {})]);
  assert.ok(!off.includes('monitor-criteria') && !off.includes('data-chart="defence"'));
  const on = stepSection([
    row(1, { 'monitor/reward/criterion/defence.grader-talk/mean': 1, 'monitor/trend/phrase': 0 }),
    row(2, { 'monitor/reward/criterion/defence.grader-talk/mean': 0.5, 'monitor/trend/phrase': 1 }),
  ]);
  assert.match(on, /Monitor rubrics \(weight 0, not in the reward\)/);
  assert.match(on, /defence\.grader-talk/);
  assert.match(on, /data-chart="defence"/);
  assert.match(on, /data-series="a phrase spreads with the reward" data-x="2" data-y="1"/);
  assert.ok(!on.includes('judge samples disagree'), 'no judge disagreement series without judge samples');
  const sampled = stepSection([
    row(1, { 'monitor/trend/disagreement': 0, 'monitor/judge_disagreement_fraction': 0.125 }),
    row(2, { 'monitor/trend/disagreement': 1, 'monitor/judge_disagreement_fraction': 0.375 }),
  ]);
  assert.match(sampled, /data-series="rewarded, judge samples disagree" data-x="2" data-y="0.375"/);
  assert.match(sampled, /data-series="more rewarded answers the judge disagrees on" data-x="2" data-y="1"/);
});

test('judge disagreement: drawn per step for runs whose judge was sampled, left out for the rest', () => {
  const off = stepSection([row(1, {}), row(2, {})]);
  assert.ok(!off.includes('judge-disagreement') && !off.includes('judge/disagreement_rate'));
  const on = stepSection([
    row(1, { 'judge/disagreement_rate': 0.5, 'judge/mean_spread': 0.25, 'judge/multi_sampled_criteria': 8 }),
    // A step whose judge compared nothing (every sample unscorable) has no rate: a gap, not a 0.
    row(2, {}),
    row(3, {
      'judge/disagreement_rate': 0.125,
      'judge/mean_spread': 0.0625,
      'judge/multi_sampled_criteria': 8,
    }),
  ]);
  assert.match(on, /data-chart="judge-disagreement"/);
  assert.match(on, /data-series="criteria whose samples disagree" data-x="1" data-y="0.5"/);
  assert.match(on, /data-series="criteria whose samples disagree" data-x="3" data-y="0.125"/);
  assert.match(on, /data-series="mean spread \(max - min\) \/ top score" data-x="3" data-y="0.0625"/);
  assert.ok(!/data-series="criteria whose samples disagree" data-x="2"/.test(on), 'no point at step 2');
});
