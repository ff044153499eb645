import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Policy } from '../engine/policy.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import { type ChatServer, startChatServer } from '../rubric/judge/test-server.ts';
import { ValidationError } from '../util/errors.ts';
import type { AnswerLine } from './answers-file.ts';
import { EVAL_FILES } from './eval-folder.ts';
import { promptsSuite, scoreRubricPrompts } from './prompts-suite.ts';
import { promptsFromFile } from './rubric-prompts.ts';
import { runEval } from './run-eval.ts';

const work = mkdtempSync(join(tmpdir(), 'anchorage-prompts-suite-'));
let judgeServer: ChatServer;
let model: { path: string; dispose: () => Promise<void> };

before(async () => {
  // The judge grades every judged criterion "fair": tier score 1 of 2, normalised 0.5.
  judgeServer = await startChatServer({
    handler: () => ({ type: 'completion', content: '{"reason": "reads plainly", "tier": "fair"}' }),
  });
  model = await writeTinyModel({
    seed: 9,
    chatTemplate:
      "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}",
  });
});
after(async () => {
  await judgeServer.close();
  await model.dispose();
  rmSync(work, { recursive: true, force: true });
});

const jsonl = (file: string, rows: readonly unknown[]) =>
  writeFileSync(file, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));

/** Two verifier criteria (weights 1 and 3) and one judged criterion (weight 1, tiers 0..2). */
const RUBRIC = {
  id: 'evaltest/greeting',
  version: 1,
  title: 'Greeting',
  scope: 'instance',
  criteria: [
    {
      id: 'has-hello',
      description: 'Says hello.',
      weight: 1,
      passFail: true,
      evaluator: { type: 'verifier', name: 'text.regex', params: { pattern: 'hello' } },
    },
    {
      id: 'no-digits',
      description: 'No digits.',
      weight: 3,
      passFail: true,
      evaluator: { type: 'verifier', name: 'text.regex', params: { pattern: '[0-9]', must: 'no-match' } },
    },
    {
      id: 'quality',
      description: 'Well put.',
      weight: 1,
      tiers: [
        { score: 0, label: 'poor' },
        { score: 1, label: 'fair' },
        { score: 2, label: 'good' },
      ],
      evaluator: { type: 'judge' },
    },
  ],
};
const promptsFile = join(work, 'prompts.jsonl');
jsonl(promptsFile, [
  { id: 'p1', prompt: 'Say hi.', rubric: RUBRIC },
  { id: 'p2', prompt: 'Say bye.', rubricId: 'evaltest/greeting' },
]);

function judgeFile(): string {
  const file = join(work, 'judge.json');
  writeFileSync(
    file,
    JSON.stringify({
      baseUrl: judgeServer.baseUrl,
      model: 'test-judge',
      cacheDir: join(work, 'cache'),
      maxRetries: 0,
    }),
  );
  return file;
}

const answers = (pairs: readonly [string, string][]) =>
  new Map(
    pairs.map(([key, response]): [string, AnswerLine] => [
      key,
      { key, response, finishReason: 'stop', tokens: 3 },
    ]),
  );

test('rubric prompts are scored as a run scores them: verifiers, the judge over HTTP, weighted rewards', async () => {
  const suite = promptsSuite({ promptsFile, judge: judgeFile() });
  const prompts = suite.prompts();
  assert.deepEqual(
    prompts.map((p) => p.key),
    ['p1', 'p2'],
  );
  // p1 "hello world": has-hello 1, no-digits 1, quality 0.5 -> (1 + 3 + 0.5) / 5 = 0.9.
  // p2 "bye 42":      has-hello 0, no-digits 0, quality 0.5 -> 0.5 / 5 = 0.1.
  const scores = await suite.score({
    prompts,
    answers: answers([
      ['p1', 'hello world'],
      ['p2', 'bye 42'],
    ]),
  });
  const s = scores.summary;
  const close = (key: string, value: number) =>
    assert.ok(Math.abs(s[key]! - value) < 1e-12, `${key}: ${s[key]} != ${value}`);
  close('reward/mean', 0.5);
  close('reward/std', 0.4);
  close('reward/scored', 2);
  close('reward/rubric/instance/mean', 0.5);
  close('reward/criterion/has-hello/pass', 0.5);
  close('reward/criterion/no-digits/pass', 0.5);
  close('reward/criterion/quality/pass', 0);
  close('reward/criterion/quality/mean', 0.5);
  close('reward/criterion/quality/scored', 2);
  assert.equal(
    judgeServer.requests.length,
    2,
    'one judge request per answer (per-criterion mode, one judged criterion)',
  );
  const row = scores.rows[0] as {
    reward: number;
    rubrics: { rubricId: string; criteria: { id: string; tier: string; reason: string }[] }[];
  };
  assert.equal(row.reward, 0.9);
  const quality = row.rubrics[0]!.criteria.find((c) => c.id === 'quality')!;
  assert.deepEqual([quality.tier, quality.reason], ['fair', 'reads plainly']);
  assert.ok(
    scores.table.some((l) => /reward 0\.500 ± 0\.400/.test(l)),
    scores.table.join('\n'),
  );

  // Without a judge the judged criterion is unscorable (left out, never 0): p1 1, p2 0.
  const noJudge = await scoreRubricPrompts({
    set: promptsFromFile({ file: promptsFile }),
    prompts,
    answers: answers([
      ['p1', 'hello world'],
      ['p2', 'bye 42'],
    ]),
  });
  assert.equal(noJudge.summary['reward/mean'], 0.5);
  assert.equal(noJudge.summary['reward/criterion/quality/scored'], 0);
  assert.deepEqual(
    noJudge.rows.map((r) => r['reward']),
    [1, 0],
  );
});

test('a run configuration source: its prompts, its rubric rules and its model; greedy answers on the engine', async () => {
  const heldOut = join(work, 'held-out.jsonl');
  const train = join(work, 'train.jsonl');
  const rubric = (id: string) => ({ ...RUBRIC, id, criteria: RUBRIC.criteria.slice(0, 2) });
  jsonl(heldOut, [
    { id: 'h1', prompt: 'Hi?', rubric: rubric('evaltest/h1') },
    { id: 'h2', prompt: 'Yo?', rubric: rubric('evaltest/h2') },
  ]);
  jsonl(train, [
    { id: 't1', prompt: 'A?', rubric: rubric('evaltest/t1') },
    { id: 't2', prompt: 'B?', rubric: rubric('evaltest/t2') },
  ]);
  const config = join(work, 'run.yaml');
  writeFileSync(
    config,
    [
      'name: evaltest',
      `model: { path: ${model.path} }`,
      'prompts:',
      '  sources:',
      `    - { type: jsonl, name: train, file: ${train}, role: train }`,
      `    - { type: jsonl, name: held-out, file: ${heldOut}, role: eval }`,
      'rubrics:',
      '  apply:',
      '    - { rubric: style/human-tone, weight: 0.25 }',
      'rl: { promptsPerStep: 2, groupSize: 2, maxNewTokens: 8 }',
      '',
    ].join('\n'),
  );
  const suite = promptsSuite({ config, source: 'held-out' });
  assert.equal(suite.defaultModel, model.path);
  assert.equal(suite.kind === 'generation' && suite.maxNewTokens, 8);
  assert.equal(suite.input, `${config}#held-out`);
  const policy = await Policy.load({ model: model.path });
  const dir = join(work, 'run');
  try {
    const result = await runEval({
      policy,
      suite,
      spec: { model: model.path, checkpoint: null, maxNewTokens: 8 },
      outDir: dir,
    });
    assert.equal(result.generated, 2);
  } finally {
    await policy.close();
  }
  const rows = readFileSync(join(dir, EVAL_FILES.results), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { key: string; rubrics: { rubricId: string; weight: number }[] });
  assert.deepEqual(
    rows.map((r) => r.key),
    ['h1', 'h2'],
  );
  assert.deepEqual(
    rows[0]!.rubrics.map((r) => [r.rubricId, r.weight]),
    [
      ['evaltest/h1', 1],
      ['style/human-tone', 0.25],
    ],
  );
  const summary = JSON.parse(readFileSync(join(dir, EVAL_FILES.summary), 'utf8')) as Record<string, unknown>;
  assert.equal(summary['input'], `${config}#held-out`);
  assert.equal(typeof summary['reward/criterion/has-hello/pass'], 'number');

  assert.throws(
    () => promptsSuite({ config, source: 'nope' }),
    (err: Error) => err instanceof ValidationError && /'nope'; known: held-out, train/.test(err.message),
  );
});

test('bad input is named: a prompt without a rubric, a bad line, missing or conflicting flags', () => {
  const bad = join(work, 'bad.jsonl');
  jsonl(bad, [
    { id: 'p1', prompt: 'x', rubric: RUBRIC },
    { id: 'p2', prompt: 'y' },
  ]);
  assert.throws(() => promptsSuite({ promptsFile: bad }), /bad\.jsonl:2, field rubric: expected a rubric/);
  writeFileSync(bad, '{"id": "p1", "prompt": "x", "rubric": {"id": "a/b"}}\n');
  assert.throws(() => promptsSuite({ promptsFile: bad }), /bad\.jsonl:1, field rubric\.version/);
  assert.throws(() => promptsSuite({}), /needs --config <run\.yaml> --source <name>, or --prompts/);
  assert.throws(() => promptsSuite({ config: 'run.yaml' }), /--config needs --source/);
  assert.throws(() => promptsSuite({ source: 'held-out' }), /--source needs --config/);
});
