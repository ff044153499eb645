import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { defaultModelPath } from '../models/default-model.ts';
import { loadJudgeConfig } from '../rubric/judge/config.ts';
import { prepareRun } from './check.ts';
import { loadRunConfig, parseRunConfig } from './load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIGS = join(ROOT, 'configs');
const env = { ...process.env, ANCHORAGE_DATA_DIR: '/data/anchorage' };

/** Parses `text` as if it were a file in configs/ (relative paths resolve there). */
const parse = (text: string) => parseRunConfig({ text, file: join(CONFIGS, 'test.yaml'), env });
const fails = (text: string, pattern: RegExp) => assert.throws(() => parse(text), pattern);
const prepareFails = (text: string, pattern: RegExp) =>
  assert.throws(() => prepareRun({ loaded: parse(text), env }), pattern);

describe('run configuration: the shipped files', () => {
  it('every run configuration under configs/ loads (the search configurations too), and every judge configuration (judge-*.yaml)', () => {
    const yaml = readdirSync(CONFIGS, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    const isJudge = (f: string) => basename(f).startsWith('judge-');
    const files = yaml.filter((f) => !isJudge(f));
    assert.ok(files.includes(join('experiments', 'quickstart-search', 'g07b.yaml')), files.join(', '));
    for (const file of files) {
      const { config } = loadRunConfig(join(CONFIGS, file), { env });
      assert.ok(config.steps === undefined || config.steps > 0, file);
    }
    const judges = yaml.filter(isJudge);
    assert.ok(judges.includes('judge-local.yaml'), judges.join(', '));
    for (const file of judges) assert.ok(loadJudgeConfig(join(CONFIGS, file), { env }).model, file);
    const balanced = loadRunConfig(join(CONFIGS, 'experiments/quickstart-search/g07b.yaml'), { env });
    assert.equal(balanced.config.prompts.balanceBy, 'constraint:');
  });

  it('quickstart.yaml loads with its values and every path resolved', () => {
    const { config, stages } = loadRunConfig(join(CONFIGS, 'quickstart.yaml'), { env });
    assert.equal(config.name, 'quickstart');
    assert.equal(config.model.path, defaultModelPath({ env }));
    assert.equal(config.model.name, 'SmolLM2-135M-Instruct.Q4_1');
    assert.deepEqual([config.rl.groupSize, config.rl.promptsPerStep, config.rl.maxNewTokens], [8, 4, 96]);
    assert.equal(config.steps, 24);
    assert.equal(config.judge, undefined);
    assert.deepEqual(config.store, { type: 'local', path: '/data/anchorage/store' });
    assert.deepEqual(
      stages.map((s) => [s.name, s.firstStep, s.steps, s.sources]),
      [['main', 1, 24, ['constraints']]],
    );
  });

  it('quickstart.yaml is ready to run: verifier-only rubrics for every training and evaluation prompt', () => {
    const run = prepareRun({ loaded: loadRunConfig(join(CONFIGS, 'quickstart.yaml'), { env }), env });
    const training = run.training.get('main')!;
    assert.equal(training.length, 512);
    assert.equal(run.evaluation.length, 64);
    for (const { prompt, rubrics } of training) {
      assert.deepEqual(
        rubrics.map((r) => [r.rubricId, r.weight]),
        [[prompt.record.rubric!.id, 1]],
      );
    }
    for (const rubric of run.rubrics.values()) {
      for (const c of rubric.criteria) assert.equal(c.evaluator.type, 'verifier', `${rubric.id} ${c.id}`);
    }
    assert.ok(
      run.rubrics.get(training[0]!.prompt.record.rubric!.id)!.sources.includes('defence/reward-hacking'),
    );
    assert.equal(run.judge, undefined);
  });

  it('example-large.yaml loads: two stages, judge, data selection', () => {
    const { config, stages } = loadRunConfig(join(CONFIGS, 'example-large.yaml'), { env });
    assert.equal(config.model.path, join(ROOT, 'models/Qwen2.5-1.5B-Instruct'));
    assert.equal(config.judge?.config, join(CONFIGS, 'judge-local.yaml'));
    assert.equal(config.steps, 700);
    assert.equal(config.dataSelection.enabled, true);
    assert.deepEqual(
      stages.map((s) => [s.name, s.firstStep, s.steps, s.rl.temperature, s.rl.klCoefficient, s.rl.groupSize]),
      [
        ['instruction-following', 1, 300, 1, 0.001, 8],
        ['open-ended', 301, 400, 0.9, 0.002, 8],
      ],
    );
    const ifeval = config.prompts.sources.find((s) => s.type === 'ifeval');
    assert.equal(ifeval?.role, 'eval');
  });

  it('example-large.yaml is ready to run once its model exists (rubrics judged, IFEval held out)', () => {
    // The large model is not on this machine: check the rest with the default model, and fewer
    // WritingBench prompts (each of its rubrics takes the lazy corpus a while to parse).
    const text = readFileSync(join(CONFIGS, 'example-large.yaml'), 'utf8')
      .replace('path: ../models/Qwen2.5-1.5B-Instruct', 'path: default')
      .replace('languages: [en]', 'languages: [en]\n      limit: 12');
    assert.throws(
      () => prepareRun({ loaded: loadRunConfig(join(CONFIGS, 'example-large.yaml'), { env }), env }),
      /example-large\.yaml:13, field model\.path: model not found: .*Qwen2\.5-1\.5B-Instruct$/,
    );
    const run = prepareRun({ loaded: parse(text), env });
    assert.equal(run.judge?.model, 'Qwen2.5-7B-Instruct');
    assert.equal(run.training.get('instruction-following')?.length, 4000);
    assert.equal(run.training.get('open-ended')?.length, 4000 + 250 + 12);
    assert.ok(
      run.evaluation.length === 200 && run.evaluation.every((e) => e.prompt.record.id.startsWith('ifeval/')),
    );
    const creative = run.training.get('open-ended')!.find((e) => e.prompt.sourceName === 'creative')!;
    assert.deepEqual(
      creative.rubrics.map((r) => r.rubricId),
      ['defence/reward-hacking-judge', 'tasks/creative-writing', 'style/plain-narrative', 'style/human-tone'],
    );
    const generated = run.training.get('instruction-following')![0]!;
    assert.deepEqual(
      generated.rubrics.map((r) => r.rubricId),
      [generated.prompt.record.rubric!.id, 'style/human-tone'],
      'verifier-only prompts skip the judged defence rubric',
    );
  });
});

describe('run configuration: invalid files name file, line and field', () => {
  it('rejects unknown keys, listing the known ones', () => {
    fails(
      'name: x\nstepz: 3\n',
      /test\.yaml:2, field stepz: unknown key 'stepz'; expected one of: name, seed, model, lora, prompts, rubrics, judge, rl, steps,/,
    );
    fails(
      'rl:\n  groupSize: 4\n  temprature: 1\n',
      /test\.yaml:3, field rl\.temprature: unknown key 'temprature'; expected one of: groupSize,/,
    );
  });

  it('checks names against the RL registries', () => {
    fails(
      'rl:\n  advantage: ppo\n',
      /test\.yaml:2, field rl\.advantage: expected one of the registered advantage estimators: dr-grpo, grpo, reinforce\+\+, reinforce\+\+-baseline, rloo/,
    );
    fails(
      'rl:\n  klEstimator: k4\n',
      /test\.yaml:2, field rl\.klEstimator: expected one of the registered KL estimators: k1, k2, k3/,
    );
    fails(
      'rl:\n  lossAggregation: sum\n',
      /field rl\.lossAggregation: expected one of the registered loss aggregations: sequence-mean, token-mean/,
    );
  });

  it('checks ranges, types and LoRA targets', () => {
    fails('rl:\n  groupSize: 1\n', /test\.yaml:2, field rl\.groupSize: expected number to be >=2/);
    fails('rl:\n  clipLow: 1.5\n', /test\.yaml:2, field rl\.clipLow: expected number to be <1/);
    fails('steps: ten\n', /test\.yaml:1, field steps: expected number, received string/);
    fails(
      'lora:\n  targets: [q, qkv]\n',
      /test\.yaml:2, field lora\.targets\[1\]: expected unknown LoRA target 'qkv'; known: q, k, v, o, gate, up, down/,
    );
    fails(
      'dataSelection:\n  lowerQuantile: 0.8\n  upperQuantile: 0.2\n',
      /test\.yaml:3, field dataSelection\.upperQuantile: expected upperQuantile above lowerQuantile/,
    );
  });

  it('checks prompt sources, their names, and the names that refer to them', () => {
    fails(
      'prompts:\n  sources:\n    - type: ifeval\n      file: x.jsonl\n      role: train\n',
      /test\.yaml:5, field prompts\.sources\[0\]\.role: expected eval \(IFEval is a held-out benchmark: evaluation only\)/,
    );
    fails('prompts:\n  sources:\n    - type: csv\n', /test\.yaml:3, field prompts\.sources\[0\]\.type: /);
    fails(
      'prompts:\n  sources:\n    - type: constraint-generator\n    - type: constraint-generator\n      seed: 2\n',
      /test\.yaml:4, field prompts\.sources\[1\]\.name: expected a source name not used already \(prompts\.sources\[0\] is 'constraint-generator'\); set `name`/,
    );
    fails(
      'evaluation:\n  every: 5\n  sources: [heldout]\n',
      /test\.yaml:3, field evaluation\.sources\[0\]: expected a prompt source name: one of constraint-generator/,
    );
    fails(
      'prompts:\n  sources:\n    - type: constraint-generator\n      minConstraints: 3\n      maxConstraints: 2\n',
      /test\.yaml:5, field prompts\.sources\[0\]\.maxConstraints: expected maxConstraints at least minConstraints/,
    );
  });

  it('checks stages against steps', () => {
    fails(
      'steps: 10\nstages:\n  - name: a\n    steps: 3\n  - name: b\n    steps: 4\n',
      /test\.yaml:1, field steps: expected the sum of the stages' steps \(7\), or no `steps` at all when stages are given/,
    );
    fails(
      'stages:\n  - name: a\n    steps: 3\n    rl:\n      topP: 2\n',
      /test\.yaml:5, field stages\[0\]\.rl\.topP: expected number to be <=1/,
    );
    fails(
      'stages:\n  - name: a\n    steps: 1\n  - name: a\n    steps: 1\n',
      /test\.yaml:4, field stages\[1\]\.name: expected a stage name not used already/,
    );
  });

  it('reports YAML syntax and extra documents with their line', () => {
    fails('name: x\nrl: [1, 2\n', /test\.yaml:\d+:\d+: invalid YAML/);
    fails(
      'name: x\n---\nname: y\n',
      /test\.yaml:3: expected one document in a run configuration, found several/,
    );
  });

  it('fails before anything starts when a named rubric, file or judge is missing', () => {
    prepareFails(
      'rubrics:\n  apply:\n    - rubric: style/no-such-rubric\n',
      /test\.yaml:3, field rubrics\.apply\[0\]\.rubric: unknown rubric 'style\/no-such-rubric' \(\d+ rubrics/,
    );
    prepareFails(
      'rubrics:\n  apply:\n    - rubric: style/human-tone\n    - rubric: tasks/creative-writing\n      prompts: { tags: [generated] }\n',
      /test\.yaml:4, field rubrics\.apply\[1\]\.rubric: rubric 'tasks\/creative-writing' has judged criteria \(.*\), but the configuration names no judge/,
    );
    prepareFails(
      'prompts:\n  sources:\n    - type: jsonl\n      file: no-such-prompts.jsonl\n',
      /test\.yaml:3, field prompts\.sources\[0\]: source 'jsonl': .*configs\/no-such-prompts\.jsonl: cannot read file/,
    );
    prepareFails('judge:\n  config: no-such-judge.yaml\n', /no-such-judge\.yaml: cannot read judge config/);
    prepareFails(
      'model:\n  path: missing.gguf\n',
      /test\.yaml:2, field model\.path: model not found: .*configs\/missing\.gguf$/,
    );
    prepareFails(
      'rl:\n  promptsPerStep: 100\nprompts:\n  sources:\n    - type: constraint-generator\n      count: 10\n',
      /field prompts\.sources: stage 'main' has 10 training prompts, fewer than rl\.promptsPerStep \(100\)/,
    );
    prepareFails(
      'prompts:\n  sources:\n    - type: constraint-generator\n    - type: constraint-generator\n      name: later\n      seed: 3\n      role: eval\nstages:\n  - name: one\n    steps: 2\n    sources: [later]\n',
      /test\.yaml:11, field stages\[0\]\.sources: source 'later' has role eval; expected a source with role train or both/,
    );
    prepareFails(
      'prompts:\n  sources:\n    - type: arena-hard\n      file: ../../shared/data/arena_hard/arena-hard-v0.1_question.jsonl\n',
      /has no rubric in stage 'main': give it an instance rubric or add a rule to rubrics\.apply/,
    );
  });
});
