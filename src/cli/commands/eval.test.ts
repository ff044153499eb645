import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initLoraState } from '../../engine/lora-state.ts';
import { writeTinyModel } from '../../engine/testing/tiny-model.ts';
import { tinyConfig } from '../../models/llama/testing/tiny-llama.ts';
import { LocalFolderStore } from '../../store/local-store.ts';
import { putCheckpoint } from '../../train/checkpoint-store.ts';
import { commitOnce } from '../../step/commit.ts';
import { runRefs } from '../../train/run-refs.ts';
import { storeRunConfig } from '../../train/stored-config.ts';
import { runAnchorage, SHARED_IFEVAL_DIR } from '../testing/cli-runner.ts';
import { progressText } from './eval.ts';

const dataDir = SHARED_IFEVAL_DIR;
const work = mkdtempSync(join(tmpdir(), 'anchorage-eval-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const anchorage = (...args: string[]) => runAnchorage(work, ...args);
let tiny: { path: string; dispose: () => Promise<void> };
before(async () => {
  tiny = await writeTinyModel({
    seed: 9,
    chatTemplate:
      "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}",
  });
});
after(() => tiny.dispose());
const file = (name: string, lines: readonly unknown[]) => {
  writeFileSync(
    join(work, name),
    lines.map((l) => `${typeof l === 'string' ? l : JSON.stringify(l)}\n`).join(''),
  );
  return join(work, name);
};

interface Label {
  prompt: string;
  strict: boolean[];
  loose: boolean[];
  reference_nondeterministic: boolean[];
}

describe('anchorage eval', () => {
  it('--suite ifeval --responses: the four numbers of the GPT-4 responses are the reference labels', () => {
    const r = anchorage(
      'eval',
      '--suite',
      'ifeval',
      '--prompts',
      join(dataDir, 'input_data_key2785_original_variant.jsonl'),
      '--responses',
      join(dataDir, 'input_response_data_gpt4_20231107_145030.jsonl'),
      '--out',
      'gpt4',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const ours = JSON.parse(r.stdout) as Record<string, number>;
    const labels = new Map(
      readFileSync(join(dataDir, 'gpt4_reference_labels_541.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Label)
        .map((l) => [l.prompt, l]),
    );
    const rows = readFileSync(join(work, 'gpt4/results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { prompt: string; strict: boolean[]; loose: boolean[] });
    assert.equal(rows.length, 541);
    // The reference draws a random letter for two instructions (flagged in the labels): there the
    // label is one draw and cannot be reproduced; every other verdict must be the label's.
    const expected: Record<'strict' | 'loose', boolean[][]> = { strict: [], loose: [] };
    for (const row of rows) {
      const label = labels.get(row.prompt) as Label;
      for (const mode of ['strict', 'loose'] as const) {
        const verdicts = label[mode].map((v, i) => (label.reference_nondeterministic[i] ? row[mode][i]! : v));
        assert.deepEqual(row[mode], verdicts, `${mode}: ${row.prompt.slice(0, 60)}`);
        expected[mode].push(verdicts);
      }
    }
    const promptLevel = (rs: boolean[][]) => rs.filter((v) => v.every(Boolean)).length / rs.length;
    const instructionLevel = (rs: boolean[][]) => rs.flat().filter(Boolean).length / rs.flat().length;
    assert.equal(ours.prompts, 541);
    assert.equal(ours.promptStrict, promptLevel(expected.strict));
    assert.equal(ours.promptLoose, promptLevel(expected.loose));
    assert.equal(ours.instructionStrict, instructionLevel(expected.strict));
    assert.equal(ours.instructionLoose, instructionLevel(expected.loose));
  });

  it('an unknown suite and a missing checkpoint are named with what exists or was asked', () => {
    const unknown = anchorage('eval', '--suite', 'mmlu', '--out', 'x');
    assert.notEqual(unknown.code, 0);
    assert.match(
      unknown.stderr,
      /unknown evaluation suite 'mmlu'; known: ifeval, perplexity, prompts, style/,
    );
    const missing = anchorage(
      'eval',
      '--suite',
      'ifeval',
      '--out',
      'y',
      '--checkpoint',
      join(work, 'no-such-checkpoint'),
    );
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-checkpoint/);
  });

  it("--run and --step evaluate a training run's checkpoint from the store; a wrong run or step names what exists", async () => {
    const storeDir = join(work, 'run-store');
    const store = new LocalFolderStore({ root: storeDir });
    const configFile = join(work, 'run.yaml');
    const text = `name: ckpt\nmodel: { path: ${JSON.stringify(tiny.path)}, name: tiny-llama }\nsteps: 2\n`;
    writeFileSync(configFile, text);
    await storeRunConfig({ store, trainRunId: 'ckpt-run', file: configFile, text });
    const lora = initLoraState({
      model: tinyConfig(),
      lora: { rank: 2, alpha: 4, targets: ['q', 'v'] },
      seed: 1,
    });
    for (const t of lora.tensors.values()) t.fill(0.05);
    const { address } = await putCheckpoint({
      store,
      trainRunId: 'ckpt-run',
      step: 2,
      parent: null,
      trainable: lora,
      optimizer: undefined,
      optimizerSteps: 2,
      update: {
        applied: true,
        learningRate: 0.01,
        metrics: {},
        sequences: 1,
        tokens: 1,
        ms: 1,
        attempt: 1,
        worker: 't',
      },
    });
    await commitOnce({ store, ref: runRefs.checkpoint('ckpt-run', 2), address });
    const texts = file('run-texts.jsonl', [
      { id: 'a', text: 'The ferry left at dawn, and the gulls followed it.' },
    ]);
    const args = ['eval', '--suite', 'perplexity', '--prompts', texts, '--chunk-tokens', '32', '--json'];
    const base = anchorage(...args, '--model', tiny.path, '--out', 'run-base');
    assert.equal(base.code, 0, base.stderr);
    const trained = anchorage(
      ...args,
      '--run',
      'ckpt-run',
      '--step',
      '2',
      '--store',
      storeDir,
      '--out',
      'run-2',
    );
    assert.equal(trained.code, 0, trained.stderr);
    const summary = JSON.parse(trained.stdout) as { checkpoint: string; model: string; perplexity: number };
    assert.match(summary.checkpoint, /runs\/ckpt-run\/checkpoints\/step-2 \(sha256:/);
    assert.equal(summary.model, tiny.path, "the run's model");
    assert.notEqual(summary.perplexity, (JSON.parse(base.stdout) as { perplexity: number }).perplexity);

    const unknown = anchorage(...args, '--run', 'nope', '--step', '2', '--store', storeDir, '--out', 'r1');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no training run 'nope' in the store at .*; runs there: ckpt-run/);
    const step = anchorage(...args, '--run', 'ckpt-run', '--step', '7', '--store', storeDir, '--out', 'r2');
    assert.notEqual(step.code, 0);
    assert.match(step.stderr, /has no checkpoint at step 7; steps with a checkpoint: 2/);
    const alone = anchorage(...args, '--step', '2', '--out', 'r3');
    assert.notEqual(alone.code, 0);
    assert.match(alone.stderr, /--step goes with --run/);
  });

  it('--suite perplexity scores texts on the model: perplexity, chunks done on the progress line', () => {
    const texts = file('texts.jsonl', [
      { id: 'a', text: 'The ferry left at dawn, and the gulls followed it out past the harbour wall.' },
      { id: 'b', text: 'She kept the letters in a biscuit tin under the stairs.' },
    ]);
    const args = [
      'eval',
      '--suite',
      'perplexity',
      '--model',
      tiny.path,
      '--prompts',
      texts,
      '--chunk-tokens',
      '32',
    ];
    const r = anchorage(...args, '--out', 'ppl', '--json');
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as Record<string, number>;
    assert.equal(summary['texts'], 2);
    assert.ok(summary['perplexity']! > 1 && summary['natsPerToken']! > 0);
    assert.match(r.stderr, /chunks \d+\/\d+/);
    const again = anchorage(...args, '--out', 'ppl');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 chunks scored .*, \d+ resumed/);
    assert.match(again.stdout, /perplexity \d+\.\d{3}/);
    const wrong = anchorage(...args, '--out', 'ppl2', '--max-new-tokens', '5');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /suite 'perplexity' generates nothing/);
  });

  it('--suite style and --suite prompts generate with the model and print their tables', () => {
    const prompts = file('style.jsonl', [
      { uid: 'a100', category: 'creative_writing', prompt: 'Poem.' },
      { uid: 'b200', category: 'creative_writing', prompt: 'Song.' },
    ]);
    const style = anchorage(
      'eval',
      '--suite',
      'style',
      '--model',
      tiny.path,
      '--prompts',
      prompts,
      '--max-new-tokens',
      '8',
      '--out',
      'style',
    );
    assert.equal(style.code, 0, style.stderr);
    assert.match(style.stdout, /style: 2 prompts, .*at most 8 new tokens/);
    assert.match(style.stdout, /slop-score word list\s+\S+\s+6\.90/);
    assert.match(style.stdout, /answer length: mean \d+ words, \d+ tokens/);
    assert.match(style.stderr, /answers 2\/2/);

    const rubric = {
      id: 'evalcli/hello',
      version: 1,
      title: 'Hello',
      scope: 'instance',
      criteria: [
        {
          id: 'has-h',
          description: 'h',
          weight: 1,
          passFail: true,
          evaluator: { type: 'verifier', name: 'text.regex', params: { pattern: 'h' } },
        },
      ],
    };
    const rubricPrompts = file('rubric-prompts.jsonl', [{ id: 'p1', prompt: 'Hi?', rubric }]);
    const scored = anchorage(
      'eval',
      '--suite',
      'prompts',
      '--model',
      tiny.path,
      '--prompts',
      rubricPrompts,
      '--max-new-tokens',
      '8',
      '--out',
      'prompts',
      '--json',
    );
    assert.equal(scored.code, 0, scored.stderr);
    const summary = JSON.parse(scored.stdout) as Record<string, number>;
    assert.ok(summary['reward/criterion/has-h/pass'] === 0 || summary['reward/criterion/has-h/pass'] === 1);
  });

  it('bad prompt and text files are named with their line', () => {
    const noRubric = file('no-rubric.jsonl', [{ id: 'p1', prompt: 'x' }]);
    const a = anchorage('eval', '--suite', 'prompts', '--prompts', noRubric, '--out', 'bad1');
    assert.notEqual(a.code, 0);
    assert.match(a.stderr, /no-rubric\.jsonl:1, field rubric: expected a rubric/);
    const badStyle = file('bad-style.jsonl', [
      { uid: 'a100', category: 'creative_writing', prompt: 'ok' },
      'not json',
    ]);
    const b = anchorage(
      'eval',
      '--suite',
      'style',
      '--prompts',
      badStyle,
      '--model',
      tiny.path,
      '--out',
      'bad2',
    );
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /bad-style\.jsonl:2: expected one JSON value per line/);
    const c = anchorage(
      'eval',
      '--suite',
      'prompts',
      '--config',
      join(work, 'missing.yaml'),
      '--source',
      'held-out',
      '--out',
      'bad3',
    );
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /missing\.yaml: cannot read run configuration/);
  });

  it('the progress line shows items done, tokens per second and the time left', () => {
    const answers = progressText({
      kind: 'generation',
      answered: 30,
      total: 40,
      generated: 20,
      newTokens: 1000,
      seconds: 10,
    });
    assert.match(answers, /^answers \S+ 30\/40 · 100 tok\/s · ETA 1 min$/);
    const chunks = progressText({ kind: 'logprob', done: 5, total: 66, scored: 0, tokens: 0, seconds: 0 });
    assert.match(chunks, /^chunks \S+ 5\/66 · 0 tok\/s · ETA …$/);
  });
});
