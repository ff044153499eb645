import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { prepareRun } from '../config/check.ts';
import { parseRunConfig } from '../config/load.ts';
import type { Finding } from '../defence/findings.ts';
import { DefenceProposal } from '../defence/records.ts';
import { defenceRefs } from '../defence/refs.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import type { JudgeLimits } from '../rubric/judge/limits.ts';
import { captureLogs } from '../rubric/judge/test-fixtures.ts';
import { type ChatServer, startChatServer } from '../rubric/judge/test-server.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import { LocalFolderStore } from '../store/local-store.ts';
import { writeTinyJudgeConfig } from '../train/testing/tiny-judge.ts';
import { writeTinyRun } from '../train/testing/tiny-run.ts';
import { propose, proposalWriter } from './defence-proposal.ts';
import { defaultJudgeFactory, type RunContext, runContext } from './run-context.ts';

const DESCRIPTION = 'The response does not sprinkle carets into its text to win credit, whatever the task.';
const finding: Finding = { kind: 'phrase', phrase: '^', correlation: 1, frequency: 0.6, history: [0.3, 0.6] };

/**
 * A run with a judge gets its proposals written by that judge, through the judge config's
 * OpenAI-compatible endpoint (a scripted server here, over real HTTP); a run without one, or an
 * answer that is no criterion, gets the rule template's.
 */
describe('defence proposals of a run (real run configuration, scripted judge server)', () => {
  let dir: string;
  let server: ChatServer;
  let store: LocalFolderStore;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let replies: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-defence-proposal-'));
    store = new LocalFolderStore({ root: join(dir, 'store') });
    model = await writeTinyModel();
    server = await startChatServer({
      handler: () => ({ type: 'completion', content: replies.shift() ?? '{}' }),
    });
  });
  after(async () => {
    await server?.close();
    await model?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (name: string, judge: boolean): Promise<RunContext> => {
    const judgeConfig = judge
      ? await writeTinyJudgeConfig({
          file: join(dir, name, 'judge.json'),
          baseUrl: server.baseUrl,
          cacheDir: join(dir, name, 'verdicts'),
        })
      : undefined;
    const file = await writeTinyRun({
      dir: join(dir, name),
      queuePrefix: name,
      modelPath: model.path,
      storeDir: join(dir, 'store'),
      steps: 2,
      defence: { adaptive: { enabled: true } },
      ...(judgeConfig === undefined ? {} : { judgeConfig }),
    });
    const prepared = prepareRun({ loaded: parseRunConfig({ text: await readFile(file, 'utf8'), file }) });
    return runContext({ address: name, prepared, judge: defaultJudgeFactory({}) });
  };

  const proposeFor = async (trainRunId: string, context: RunContext, limits: JudgeLimits = {}) => {
    const id = await propose({
      store,
      key: { trainRunId, step: 2, purpose: 'train' },
      finding,
      responses: [{ text: 'x^^^', reward: 1, group: 0, failed: [] }],
      writer: proposalWriter({ run: context, limits, env: {}, log: captureLogs().log }).writer,
      log: captureLogs().log,
      verifiers: defaultVerifiers(),
    });
    assert.ok(id !== undefined);
    return DefenceProposal.parse(
      await store.getJson((await store.getRef(defenceRefs.proposal(trainRunId, id)))!),
    );
  };

  it('the judge writes a judged veto criterion, shown the finding and an example', async () => {
    replies = [JSON.stringify({ description: DESCRIPTION })];
    const before = server.requests.length;
    const proposal = await proposeFor('with-judge', await run('with-judge', true));
    assert.deepEqual(proposal.proposer, { kind: 'llm', model: 'test-judge' });
    const [criterion] = proposal.rubric.criteria as Array<Record<string, unknown>>;
    assert.equal(criterion?.description, DESCRIPTION);
    assert.deepEqual(criterion?.evaluator, { type: 'judge' });
    assert.equal(criterion?.kind, 'veto');
    assert.deepEqual(proposal.examples, ['x^^^']);
    assert.equal(server.requests.length, before + 1);
    assert.match(server.requests.at(-1)!.messages.at(-1)!.content, /phrase "\^"/);
  });

  it('an answer that is no criterion falls back to the template, with the reason', async () => {
    replies = ['{"tier": "pass"}', '{"reason": "x"}'];
    const proposal = await proposeFor('bad-answer', await run('bad-answer', true));
    assert.equal(proposal.proposer.kind, 'template');
    assert.match(proposal.proposer.fallback ?? '', /invalid answer/);
    const [criterion] = proposal.rubric.criteria as Array<Record<string, unknown>>;
    assert.equal((criterion?.evaluator as { name?: string } | undefined)?.name, 'text.regex');
  });

  it("a writer past its share of the run's judge budget sends nothing and falls back to the template, saying why", async () => {
    replies = [JSON.stringify({ description: DESCRIPTION })];
    const before = server.requests.length;
    const proposal = await proposeFor('spent', await run('spent', true), { requests: 0 });
    assert.equal(server.requests.length, before, 'no request past the allowance');
    assert.equal(proposal.proposer.kind, 'template');
    assert.match(proposal.proposer.fallback ?? '', /budget/);
    replies = [];
  });

  it("the writer counts what its requests spent, for the run's judge budget", async () => {
    replies = [JSON.stringify({ description: DESCRIPTION })];
    const context = await run('counted', true);
    const writing = proposalWriter({
      run: context,
      limits: { requests: 5 },
      env: {},
      log: captureLogs().log,
    });
    assert.deepEqual(writing.usage(), { requests: 0, tokens: 0 });
    const id = await propose({
      store,
      key: { trainRunId: 'counted', step: 2, purpose: 'train' },
      finding,
      responses: [{ text: 'x^^^', reward: 1, group: 0, failed: [] }],
      writer: writing.writer,
      log: captureLogs().log,
      verifiers: defaultVerifiers(),
    });
    assert.ok(id !== undefined);
    assert.equal(writing.usage().requests, 1);
  });

  it('without a judge the rule template writes it, and a finding is proposed once', async () => {
    const context = await run('no-judge', false);
    const before = server.requests.length;
    const proposal = await proposeFor('no-judge', context);
    assert.deepEqual(proposal.proposer, { kind: 'template' });
    assert.equal(server.requests.length, before);
    // The same finding at a later step keeps its first proposal and is not this step's.
    const again = await propose({
      store,
      key: { trainRunId: 'no-judge', step: 3, purpose: 'train' },
      finding,
      responses: [],
      writer: proposalWriter({ run: context, limits: {}, env: {}, log: captureLogs().log }).writer,
      log: captureLogs().log,
      verifiers: defaultVerifiers(),
    });
    assert.equal(again, undefined);
  });
});
