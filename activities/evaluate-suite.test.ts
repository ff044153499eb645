import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { SuiteResultRecord } from '../src/eval/run-suites.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { storeRunConfig } from '../src/train/stored-config.ts';
import { TINY_CHAT_TEMPLATE, writeShortIfevalPrompts } from '../src/train/testing/tiny-run.ts';
import { prepareFile, writeTinyModel, writeTinyRun } from '../test/temporal-harness.ts';
import type { SuiteProgress } from '../src/contracts/activity-progress.ts';
import { createActivityDeps } from './deps.ts';
import { evaluateSuiteActivity } from './evaluate-suite.ts';
import type { EvaluateSuiteInput, EvaluateSuiteOutput } from './types.ts';

/** The suite activity in the SDK's mock activity context, on the tiny model and a real store. */
describe('evaluateSuite activity', () => {
  let dir: string;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let store: LocalFolderStore;
  let deps: ReturnType<typeof createActivityDeps>;
  let configAddress: string;
  const trainRunId = 'suite-run';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-suite-activity-'));
    model = await writeTinyModel({ seed: 5, chatTemplate: TINY_CHAT_TEMPLATE });
    const storeDir = join(dir, 'store');
    store = new LocalFolderStore({ root: storeDir });
    const prompts = await writeShortIfevalPrompts(join(dir, 'ifeval-short.jsonl'));
    const file = await writeTinyRun({
      dir,
      queuePrefix: 'suite-unit',
      modelPath: model.path,
      storeDir,
      steps: 2,
      evaluation: {
        suites: [
          { name: 'ifeval', prompts, limit: 3, maxNewTokens: 8 },
          // The bundled human-written passages, 2 of them in chunks the tiny model's context holds.
          { name: 'perplexity', limit: 2, chunkTokens: 64 },
        ],
      },
    });
    const { text } = await prepareFile(file);
    configAddress = await storeRunConfig({ store, trainRunId, file, text });
    // One answer at a time, so heartbeats come answer by answer.
    deps = createActivityDeps({
      store,
      engineThreads: 1,
      rolloutBatch: 1,
      heartbeatEveryMs: 10,
      dataDir: join(dir, 'data'),
    });
  });
  after(async () => {
    await deps?.policies.close();
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const input = (step: number, runId = trainRunId): EvaluateSuiteInput => ({
    trainRunId: runId,
    configAddress,
    step,
    purpose: 'eval',
    checkpoint: null,
    suite: 'ifeval',
  });
  const call = (env: MockActivityEnvironment, i: EvaluateSuiteInput) =>
    env.run(evaluateSuiteActivity(deps), i) as Promise<EvaluateSuiteOutput>;
  const folder = (step: number, runId = trainRunId) =>
    join(dir, 'data', 'runs', runId, 'evals', `step-${step}`, 'suites', 'ifeval');

  it('answers, scores and commits the suite; a cancelled attempt is resumed without regenerating its answers', async () => {
    // The reference: the whole suite in one attempt, under another run id.
    await storeRunConfig({
      store,
      trainRunId: 'suite-reference',
      file: join(dir, 'run.yaml'),
      text: (await prepareFile(join(dir, 'run.yaml'))).text,
    });
    const whole = await call(new MockActivityEnvironment(), input(0, 'suite-reference'));
    assert.deepEqual([whole.computed, whole.resumed, whole.reused], [3, 0, false]);
    for (const k of ['promptStrict', 'promptLoose', 'instructionStrict', 'instructionLoose', 'truncated']) {
      assert.ok(whole.summary[k]! >= 0 && whole.summary[k]! <= 1, k);
    }
    const reference = await readFile(join(folder(0, 'suite-reference'), 'answers.jsonl'), 'utf8');

    // Cancelled (as a worker shutdown would) once an answer is in the folder.
    const first = new MockActivityEnvironment({ attempt: 1 });
    let last: SuiteProgress | undefined;
    first.on('heartbeat', (d: SuiteProgress | undefined) => {
      if (d === undefined) return;
      last = d;
      if ((d.done ?? 0) >= 1) first.cancel('WORKER_SHUTDOWN');
    });
    await assert.rejects(call(first, input(2)));
    assert.equal(last?.suite, 'ifeval');
    assert.equal(last?.total, 3);
    assert.equal(await store.getRef(runRefs.evalSuite({ trainRunId, step: 2, suite: 'ifeval' })), undefined);
    const kept = (await readFile(join(folder(2), 'answers.jsonl'), 'utf8')).split('\n').filter(Boolean);
    assert.ok(kept.length >= 1 && kept.length < 3, `${kept.length} answers kept by the cancelled attempt`);

    const second = await call(new MockActivityEnvironment({ attempt: 2 }), input(2));
    assert.deepEqual([second.resumed, second.computed, second.reused], [kept.length, 3 - kept.length, false]);
    const answers = (await readFile(join(folder(2), 'answers.jsonl'), 'utf8')).split('\n').filter(Boolean);
    assert.deepEqual(answers.slice(0, kept.length), kept, 'finished answers are kept as they were');
    const byKey = (lines: string[]) =>
      lines.map((l) => JSON.parse(l) as { key: string }).sort((a, b) => (a.key < b.key ? -1 : 1));
    assert.deepEqual(byKey(answers), byKey(reference.split('\n').filter(Boolean)), 'greedy: same answers');
    assert.deepEqual(second.summary, whole.summary);

    const record = await store.getJson(second.record, SuiteResultRecord);
    assert.equal(record.suite, 'ifeval');
    assert.equal(record.kind, 'generation');
    assert.equal(record.checkpoint, null);
    assert.equal(record.spec.maxNewTokens, 8);
    assert.equal(record.spec.prompts, 3);
    assert.equal(
      Buffer.from(await store.getBytes(record.files.work)).toString(),
      answers.map((l) => `${l}\n`).join(''),
    );

    // A later attempt finds the committed result and generates nothing.
    const third = await call(new MockActivityEnvironment({ attempt: 3 }), input(2));
    assert.deepEqual([third.reused, third.record], [true, second.record]);
  });

  it('a logprob suite (perplexity) scores its texts on the checkpoint and commits the pooled figures', async () => {
    const out = await call(new MockActivityEnvironment(), { ...input(1), suite: 'perplexity' });
    assert.equal(out.reused, false);
    assert.equal(out.summary.texts, 2);
    assert.ok(out.summary.chunks! >= 2 && out.computed === out.summary.chunks);
    assert.ok(out.summary.perplexity! > 1 && Number.isFinite(out.summary.perplexity));
    const record = await store.getJson(out.record, SuiteResultRecord);
    assert.equal(record.kind, 'logprob');
    assert.equal(record.spec.chunkTokens, 64);
    const lines = Buffer.from(await store.getBytes(record.files.work))
      .toString()
      .trim()
      .split('\n');
    assert.equal(lines.length, out.summary.chunks, 'logprobs.jsonl: one line per chunk');
  });

  it('a suite the configuration does not name, or another checkpoint than the committed one, fails without retry', async () => {
    await assert.rejects(
      call(new MockActivityEnvironment(), { ...input(1), suite: 'style' }),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.nonRetryable &&
        /names no evaluation suite 'style' \(evaluation\.suites: ifeval, perplexity\)/.test(err.message),
    );
    const other = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(
      call(new MockActivityEnvironment(), { ...input(2), checkpoint: other }),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.nonRetryable &&
        err.message.includes('holds the evaluation of checkpoint none (base policy)'),
    );
  });
});
