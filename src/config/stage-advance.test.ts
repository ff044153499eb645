import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { planRun } from '../client/run-plan.ts';
import { prepareRun } from './check.ts';
import { parseRunConfig } from './load.ts';

const CONFIGS = resolve(import.meta.dirname, '../../configs');
const env = { ...process.env, ANCHORAGE_DATA_DIR: '/data/anchorage' };
const parse = (text: string) => parseRunConfig({ text, file: join(CONFIGS, 'test.yaml'), env });
const fails = (text: string, pattern: RegExp) => assert.throws(() => parse(text), pattern);

/** Two stages; the first's threshold (and the evaluation settings) as given. */
const twoStages = (advanceWhen: string, evaluation = 'evaluation:\n  every: 2\n') =>
  `${evaluation}stages:\n  - name: a\n    steps: 6\n    advanceWhen: ${advanceWhen}\n  - name: b\n    steps: 4\n`;

describe('stages[].advanceWhen: a stage that ends on a metric threshold', () => {
  it('loads: the threshold reaches the stage plan, steps stay the stage’s longest length', () => {
    const { config, stages } = parse(twoStages('{ metric: eval/reward/mean, atLeast: 0.6 }'));
    assert.equal(config.steps, 10);
    assert.deepEqual(stages[0]!.advanceWhen, { metric: 'eval/reward/mean', atLeast: 0.6, minSteps: 1 });
    assert.equal(stages[1]!.advanceWhen, undefined);
    const { stages: trained } = parse(twoStages('{ metric: kl/ref, atMost: 0.05, minSteps: 2 }', ''));
    assert.deepEqual(trained[0]!.advanceWhen, { metric: 'kl/ref', atMost: 0.05, minSteps: 2 });
    const suite = parse(
      twoStages(
        '{ metric: eval/ifeval/promptLoose, atLeast: 0.3 }',
        'evaluation:\n  every: 2\n  suites:\n    - name: ifeval\n',
      ),
    );
    assert.equal(suite.stages[0]!.advanceWhen?.metric, 'eval/ifeval/promptLoose');
  });

  it('refuses a threshold that could never be read, naming the field', () => {
    fails(
      twoStages('{ metric: reward_mean, atLeast: 0.6 }'),
      /test\.yaml:6, field stages\[0\]\.advanceWhen\.metric: expected a metric name: slash-separated parts/,
    );
    fails(
      twoStages('{ metric: rewards/mean, atLeast: 0.6 }'),
      /field stages\[0\]\.advanceWhen\.metric: expected a training metric in one of reward\/, .* \(got 'rewards\/mean'\)/,
    );
    fails(
      twoStages('{ metric: eval/reward/mean, atLeast: 0.6 }', ''),
      /field stages\[0\]\.advanceWhen\.metric: expected a training metric: 'eval\/reward\/mean' is an evaluation's, and the run does not evaluate \(evaluation\.every is 0\)/,
    );
    fails(
      twoStages('{ metric: eval/reward/mean, atLeast: 0.6 }', 'evaluation:\n  every: 7\n'),
      /field stages\[0\]\.advanceWhen\.metric: expected a training metric, or evaluation\.every at most the stage's 6 steps/,
    );
    fails(
      twoStages('{ metric: eval/ifeval/promptLoose, atLeast: 0.3 }'),
      /field stages\[0\]\.advanceWhen\.metric: expected an evaluation metric: one of eval\/reward\/, .* \(got 'eval\/ifeval\/promptLoose'; no suite 'ifeval' in evaluation\.suites\)/,
    );
    fails(
      twoStages('{ metric: select/reward/mean, atLeast: 0.3 }'),
      /field stages\[0\]\.advanceWhen\.metric: expected a training or evaluation metric \(a data selection runs before its stage\)/,
    );
    fails(
      twoStages('{ metric: reward/mean }'),
      /field stages\[0\]\.advanceWhen\.atLeast: expected a threshold: atLeast or atMost/,
    );
    fails(
      twoStages('{ metric: reward/mean, atLeast: 0.8, atMost: 0.2 }'),
      /field stages\[0\]\.advanceWhen\.atMost: expected atLeast at most atMost/,
    );
    fails(
      twoStages('{ metric: reward/mean, atLeast: 0.8, minSteps: 6 }'),
      /field stages\[0\]\.advanceWhen\.minSteps: expected fewer than the stage's 6 steps/,
    );
    fails(
      twoStages('{ metric: reward/mean, above: 0.8 }'),
      /field stages\[0\]\.advanceWhen: expected no key 'above'|field stages\[0\]\.advanceWhen.*above/,
    );
  });

  it('a stage naming an unknown prompt source or rubric fails before anything starts, naming the field', () => {
    fails(
      'stages:\n  - name: a\n    steps: 2\n    sources: [nowhere]\n',
      /test\.yaml:4, field stages\[0\]\.sources\[0\]: expected a prompt source name: one of constraint-generator/,
    );
    assert.throws(
      () =>
        prepareRun({
          loaded: parse(
            'stages:\n  - name: a\n    steps: 2\n  - name: b\n    steps: 2\n    rubrics:\n      apply:\n        - rubric: style/no-such-rubric\n',
          ),
          env,
        }),
      /test\.yaml:8, field stages\[1\]\.rubrics\.apply\[0\]\.rubric: unknown rubric 'style\/no-such-rubric'/,
    );
  });

  it('a rubric or criterion mean the stage is not scored on, or a dynamic-sampling metric without it, fails when the run is planned', () => {
    const plan = (advanceWhen: string, extra = '') =>
      planRun({ prepared: prepareRun({ loaded: parse(`${extra}${twoStages(advanceWhen, '')}`), env }) });
    plan('{ metric: reward/rubric/instance/mean, atLeast: 0.5 }');
    plan('{ metric: reward/criterion/defence.repetition/mean, atLeast: 0.5 }');
    plan(
      '{ metric: reward/rubric/style/human-tone/mean, atLeast: 0.5 }',
      'rubrics:\n  apply:\n    - rubric: style/human-tone\n',
    );
    assert.throws(
      () => plan('{ metric: reward/rubric/style/human-tone/mean, atLeast: 0.5 }'),
      /test\.yaml:4, field stages\[0\]\.advanceWhen\.metric: a rubric stage 'a's prompts are scored on: one of instance \(got 'style\/human-tone'\)/,
    );
    assert.throws(
      () => plan('{ metric: reward/criterion/no-such/mean, atLeast: 0.5 }'),
      /field stages\[0\]\.advanceWhen\.metric: a criterion of the rubrics stage 'a's prompts are scored on \(got 'no-such'\)/,
    );
    assert.throws(
      () => plan('{ metric: dynamic_sampling/rounds, atMost: 1 }'),
      /field stages\[0\]\.advanceWhen\.metric: a metric stage 'a' records: 'dynamic_sampling\/rounds' needs rl\.dynamicSampling/,
    );
  });
});
