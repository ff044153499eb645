import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { runHistories } from '../src/client/run-histories.ts';
import { startRubricGeneration } from '../src/client/rubric-generation-client.ts';
import { PromptRecord } from '../src/data/prompt-record.ts';
import { JudgeConfig } from '../src/rubric/judge/config.ts';
import { type ChatServer, startChatServer } from '../src/rubric/judge/test-server.ts';
import { defaultVerifiers } from '../src/rubric/verifiers/index.ts';
import { GENERATED_SUFFIX, readGenerated } from '../src/rubric-authoring/generated-file.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { FAILPOINTS_ENV, failpointSpec } from '../src/util/failpoints.ts';
import { startLocalDeployment, type LocalDeployment } from '../workers/local-deployment.ts';
import { installTemporalLogging } from '../workers/logging.ts';
import { started } from '../workers/worker-process.ts';
import { tinyTaskQueues } from './temporal-harness.ts';

/**
 * `anchorage rubrics generate --durable` end to end: the workflow on a real dev server, its shard
 * activities in worker processes that hold the generator's key in their environment, the model a
 * scripted chat server that wants that key. The first worker dies (SIGKILL from its own failpoint)
 * right after shard 0 wrote its second rubric; a second worker finishes. Every prompt ends with one
 * rubric file, none written before the crash is asked again, each shard's client is paced at its
 * share of the rate, the history holds the key's variable name but never the key, and a rerun of
 * the finished generation asks nothing. A generation whose judge config's `requestBudget` is smaller
 * than the prompts need sends at most that many requests over all its shards, counts the rest
 * `unasked`, and a rerun with a larger budget asks exactly those.
 */

const SECRET = 'sk-durable-generation-7f3a9c1e55d2';
const KEY_ENV = 'ANCHORAGE_TEST_GENERATOR_KEY';
const PROMPTS = 8;
const SHARD_SIZE = 3;
const PARALLEL = 2;
const RATE = 8;

const tiers = [
  { label: 'missing', description: 'not done' },
  { label: 'done', description: 'fully done' },
];

describe('durable rubric generation (real server, worker processes, scripted model)', () => {
  let deployment: LocalDeployment;
  let model: ChatServer;
  /** Each request: the prompt it asked for. */
  const asked: Array<{ prompt: number }> = [];

  before(async () => {
    // The runtime's log lines (the replay worker's) go through pino, as in the workers.
    installTemporalLogging();
    deployment = await startLocalDeployment({ dirPrefix: 'anchorage-rubric-gen-' });
    model = await startChatServer({
      apiKey: SECRET,
      handler: (request) => {
        const prompt = Number(/\[prompt-(\d+)\]/.exec(request.rawBody)?.[1] ?? -1);
        asked.push({ prompt });
        return {
          type: 'completion',
          content: JSON.stringify({
            title: `Colours ${prompt}`,
            criteria: [
              {
                description: `Names exactly ${prompt + 2} colours.`,
                importance: 'essential',
                tiers,
                evaluator: 'judge',
                params: '{}',
              },
            ],
          }),
        };
      },
    });
  });
  after(async () => {
    await deployment?.stop();
    await model?.close();
  });

  /** The scripted model's judge config for a generation in `dir`, with `settings` added. */
  const scriptedJudge = (dir: string, settings: Record<string, unknown>) =>
    JudgeConfig.parse({
      baseUrl: model.baseUrl,
      model: 'scripted-model',
      apiKeyEnv: KEY_ENV,
      cacheDir: join(dir, 'cache'),
      maxRetries: 0,
      responseFormat: 'json_schema',
      ...settings,
    });

  it('survives a killed worker: each prompt written once, the rate shared, no key in the history; a rerun asks nothing', async () => {
    const dir = join(deployment.dir, 'gen');
    const storeDir = join(dir, 'store');
    const outDir = join(dir, 'rubrics');
    const store = new LocalFolderStore({ root: storeDir });
    const queues = tinyTaskQueues('rubric-gen');
    const env = { ...deployment.workerEnv({ storeDir, queues }), [KEY_ENV]: SECRET };
    const prompts = Array.from({ length: PROMPTS }, (_, i) =>
      PromptRecord.parse({ id: `p${i}`, prompt: `[prompt-${i}] Name ${i + 2} colours.` }),
    );
    const judge = scriptedJudge(dir, { maxRequestsPerSecond: RATE, concurrency: PARALLEL });
    const start = () =>
      startRubricGeneration({
        client: deployment.client,
        store,
        prompts,
        reference: [],
        judge,
        outDir,
        verifierNames: defaultVerifiers().names(),
        threshold: 0.5,
        shardSize: SHARD_SIZE,
        taskQueues: queues,
        timing: { heartbeatTimeoutSeconds: 2 },
        // 3 shards, 2 per execution: the generation continues as new once.
        shardsPerRun: 2,
      });
    const written = () =>
      readdirSync(outDir)
        .filter((f) => f.endsWith(GENERATED_SUFFIX))
        .map((f) => readGenerated(join(outDir, f)).promptId)
        .sort();

    const first = deployment.spawn('all-in-one.ts', {
      ...env,
      [FAILPOINTS_ENV]: failpointSpec('rubrics.prompt-written', 'kill', { shard: 0, written: 2 }),
    });
    await started(first);
    const generation = await start();
    assert.equal(generation.attached, false);
    assert.equal(await first.exited, 'SIGKILL', 'the armed worker killed itself');
    const killed = first.lines.at(-1)!;
    assert.equal(killed.msg, 'failpoint reached');
    assert.equal(killed.failpoint, 'rubrics.prompt-written');
    const atKill = written();
    assert.ok(atKill.includes('p0') && atKill.includes('p1'), `shard 0 wrote p0 and p1: ${atKill}`);
    const askedAtKill = asked.length;
    // The dead worker held the workflow on its sticky queue: tell the server it is gone.
    await deployment.client.workflowService.resetStickyTaskQueue({
      namespace: deployment.client.options.namespace,
      execution: { workflowId: generation.generationId },
    });

    // Running the command again attaches to the generation in progress.
    const again = await start();
    assert.equal(again.attached, true);
    assert.equal(again.otherPrompts, false);
    assert.equal(again.generationId, generation.generationId);
    assert.equal(again.handle.firstExecutionRunId, generation.handle.firstExecutionRunId);

    const second = deployment.spawn('all-in-one.ts', env);
    await started(second);
    const result = await generation.handle.result();
    assert.deepEqual(
      { ...result, generated: undefined, skipped: undefined, used: undefined },
      {
        prompts: PROMPTS,
        shards: 3,
        outDir,
        generated: undefined,
        skipped: undefined,
        rejected: 0,
        failed: 0,
        unasked: 0,
        failedPrompts: [],
        continuedAsNew: 1,
        budgetSpent: false,
        used: undefined,
        budget: { requests: judge.requestBudget },
      },
    );
    // The spend, carried over continue-as-new: at least the finished attempts' requests (one per
    // prompt generated); those a killed attempt sent after its last heartbeat are not counted.
    assert.ok(
      result.used.requests >= result.generated && result.used.requests <= asked.length,
      `${result.used.requests} requests counted, ${asked.length} received`,
    );
    assert.equal(result.generated + result.skipped, PROMPTS);
    assert.ok(result.skipped >= 2, 'the retried shard 0 found p0 and p1 written');

    // Every prompt has one rubric; each written before the crash was asked exactly once, and no
    // prompt more than twice (once more only if its request was in flight when the worker died).
    assert.deepEqual(
      written(),
      prompts.map((p) => p.id),
    );
    const requestsFor = (i: number) => asked.filter((a) => a.prompt === i).length;
    for (const id of atKill) assert.equal(requestsFor(Number(id.slice(1))), 1, `${id} asked once`);
    for (let i = 0; i < PROMPTS; i++) assert.ok(requestsFor(i) >= 1 && requestsFor(i) <= 2, `p${i}`);
    assert.ok(
      asked.length - PROMPTS <= PARALLEL - 1,
      `at most one request lost per other shard in flight: ${asked.length} requests`,
    );
    assert.ok(askedAtKill <= asked.length);

    // The rate: every shard activity was scheduled with its share (rate / shards at once), never
    // more than PARALLEL of them were open at a time, and each client was built with that share.
    const histories = await runHistories({
      client: deployment.client,
      trainRunId: generation.generationId,
      firstRunId: generation.handle.firstExecutionRunId,
    });
    assert.equal(histories.length, 2, 'two executions (continued as new once)');
    let shardsScheduled = 0;
    for (const { history } of histories) {
      const open = new Set<string>();
      let most = 0;
      for (const event of history.events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled?.activityType?.name === 'generateRubricShard') {
          const [payload] = scheduled.input?.payloads ?? [];
          const shardInput = JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as {
            requestsPerSecond: number;
          };
          assert.equal(shardInput.requestsPerSecond, RATE / PARALLEL);
          shardsScheduled++;
          open.add(String(event.eventId));
          most = Math.max(most, open.size);
        }
        const closed =
          event.activityTaskCompletedEventAttributes ??
          event.activityTaskFailedEventAttributes ??
          event.activityTaskTimedOutEventAttributes ??
          event.activityTaskCanceledEventAttributes;
        if (closed?.scheduledEventId != null) open.delete(String(closed.scheduledEventId));
      }
      assert.ok(most <= PARALLEL, `at most ${PARALLEL} shards at once, saw ${most}`);
    }
    assert.equal(shardsScheduled, 3, 'one activity per shard (retries are attempts of the same one)');
    const shardStarts = [first, second].flatMap((w) =>
      w.lines.filter((l) => l.msg === 'rubric shard started'),
    );
    assert.ok(shardStarts.length >= 3);
    for (const line of shardStarts) assert.equal(line.maxRequestsPerSecond, RATE / PARALLEL);

    // No secret in the history: the key's variable name is there (so payloads are searched), its value never.
    for (const { history } of histories) {
      const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
      assert.ok(bytes.includes(KEY_ENV), 'the history names the key variable');
      assert.equal(bytes.includes(SECRET), false, 'the key itself is not in the history');
    }

    // The histories replay on the workflow code (deterministic).
    for await (const replay of Worker.runReplayHistories(
      { workflowBundle: { codePath: deployment.bundleFile } },
      histories.map(({ workflowId, history }) => ({ workflowId, history })),
    )) {
      assert.equal(replay.error, undefined, `${replay.workflowId}: ${replay.error}`);
    }

    // A rerun of the finished generation: a new execution of the same id that asks nothing.
    const before = asked.length;
    const rerun = await start();
    assert.equal(rerun.attached, false);
    assert.notEqual(rerun.handle.firstExecutionRunId, generation.handle.firstExecutionRunId);
    const skipped = await rerun.handle.result();
    assert.equal(skipped.generated, 0);
    assert.equal(skipped.skipped, PROMPTS);
    assert.equal(asked.length, before, 'no request');
  });

  it("holds the judge config's requestBudget over the whole generation: shards in parallel stop at it, the rest unasked; a rerun with more asks exactly those", async () => {
    // 5 shards of 2 prompts, 3 at once and 3 per execution; one request per prompt. The first
    // execution's shards get 3, 2 and 2 requests and spend 6; the second, continued with that
    // spend, has 1 left.
    const BUDGET = 7;
    const COUNT = 10;
    const dir = join(deployment.dir, 'budget');
    const storeDir = join(dir, 'store');
    const outDir = join(dir, 'rubrics');
    const queues = tinyTaskQueues('rubric-gen-budget');
    const worker = deployment.spawn('all-in-one.ts', {
      ...deployment.workerEnv({ storeDir, queues }),
      [KEY_ENV]: SECRET,
    });
    await started(worker);
    const prompts = Array.from({ length: COUNT }, (_, i) =>
      PromptRecord.parse({ id: `b${i}`, prompt: `[prompt-${100 + i}] Name ${i + 2} colours.` }),
    );
    const generate = async (requestBudget: number) => {
      const from = asked.length;
      const generation = await startRubricGeneration({
        client: deployment.client,
        store: new LocalFolderStore({ root: storeDir }),
        prompts,
        reference: [],
        judge: scriptedJudge(dir, { requestBudget }),
        outDir,
        verifierNames: [],
        threshold: 0.5,
        shardSize: 2,
        parallelShards: 3,
        taskQueues: queues,
        timing: { heartbeatTimeoutSeconds: 2 },
        shardsPerRun: 3,
      });
      const result = await generation.handle.result();
      return { generation, result, asked: asked.slice(from).map((a) => a.prompt - 100) };
    };

    const first = await generate(BUDGET);
    assert.ok(first.asked.length <= BUDGET, `at most the budget reached the server: ${first.asked}`);
    assert.equal(first.asked.length, BUDGET, 'the shares were used to the last request');
    assert.equal(first.result.budgetSpent, true);
    assert.deepEqual(first.result.used, { requests: first.asked.length, tokens: first.result.used.tokens });
    assert.equal(first.result.generated, first.asked.length, 'one request per prompt');
    assert.equal(first.result.unasked, COUNT - first.asked.length);
    assert.deepEqual([first.result.failed, first.result.rejected, first.result.skipped], [0, 0, 0]);
    assert.equal(first.result.continuedAsNew, 1, 'the spend was carried into the second execution');
    assert.equal(new Set(first.asked).size, first.asked.length, 'no prompt asked twice');

    // The allowances of the shards open at once never added up to more than the budget.
    const histories = await runHistories({
      client: deployment.client,
      trainRunId: first.generation.generationId,
      firstRunId: first.generation.handle.firstExecutionRunId,
    });
    const open = new Map<string, number>();
    let shardsOpenAtOnce = 0;
    for (const { history } of histories) {
      for (const event of history.events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled?.activityType?.name === 'generateRubricShard') {
          const [payload] = scheduled.input?.payloads ?? [];
          const shardInput = JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as {
            allowance: { requests: number };
          };
          assert.ok(shardInput.allowance.requests >= 1);
          open.set(String(event.eventId), shardInput.allowance.requests);
          shardsOpenAtOnce = Math.max(shardsOpenAtOnce, open.size);
          const held = [...open.values()].reduce((a, b) => a + b, 0);
          assert.ok(held <= BUDGET, `allowances open at once: ${[...open.values()]}`);
        }
        const closed =
          event.activityTaskCompletedEventAttributes ??
          event.activityTaskFailedEventAttributes ??
          event.activityTaskTimedOutEventAttributes;
        if (closed?.scheduledEventId != null) open.delete(String(closed.scheduledEventId));
      }
    }
    assert.ok(shardsOpenAtOnce > 1, 'shards ran in parallel');

    // A rerun with a larger budget asks the unasked prompts, each once, and nothing asked before.
    const second = await generate(100);
    assert.equal(second.result.budgetSpent, false);
    assert.deepEqual(
      [second.result.generated, second.result.skipped, second.result.unasked],
      [first.result.unasked, first.asked.length, 0],
    );
    assert.deepEqual(
      [...first.asked, ...second.asked].sort((a, b) => a - b),
      prompts.map((_, i) => i),
      'every prompt asked once over the two runs',
    );
    assert.equal(second.result.used.requests, first.result.unasked);
    assert.equal(second.result.continuedAsNew, 1);
  });

  it('the command: `rubrics generate --durable` runs it with in-process workers and prints the counts; a rerun skips all', async () => {
    const dir = join(deployment.dir, 'cli');
    const outDir = join(dir, 'rubrics');
    mkdirSync(dir, { recursive: true });
    const promptsFile = join(dir, 'prompts.jsonl');
    writeFileSync(
      promptsFile,
      Array.from({ length: 5 }, (_, i) =>
        JSON.stringify({ id: `c${i}`, prompt: `[prompt-${10 + i}] Name ${i + 12} colours.` }),
      ).join('\n'),
    );
    const judgeFile = join(dir, 'judge.json');
    const judgeConfig = {
      baseUrl: model.baseUrl,
      model: 'scripted-model',
      apiKeyEnv: KEY_ENV,
      cacheDir: 'cache',
      maxRetries: 0,
      maxRequestsPerSecond: 20,
    };
    writeFileSync(judgeFile, JSON.stringify(judgeConfig));
    const env = {
      ...deployment.workerEnv({ storeDir: join(dir, 'store'), queues: tinyTaskQueues('rubric-gen-cli') }),
      ANCHORAGE_DATA_DIR: join(dir, 'data'),
      [KEY_ENV]: SECRET,
    };
    const args = ['rubrics', 'generate', '--durable', '--prompts', promptsFile, '--judge', judgeFile];
    const run = () => cli([...args, '--out', outDir, '--shard-size', '2'], env);
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /5 prompts in 3 shards of 2, 3 at once, 20 requests\/s in all/);
    assert.match(first.stdout, /5 generated, 0 skipped \(done before\), 0 rejected .* 0 failed; 3 shards/);
    assert.equal(readdirSync(outDir).filter((f) => f.endsWith(GENERATED_SUFFIX)).length, 5);
    const again = await run();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 generated, 5 skipped/);

    // A budget smaller than the prompts need: one line says what was not asked and how to go on.
    const budgetFile = join(dir, 'judge-budget.json');
    writeFileSync(budgetFile, JSON.stringify({ ...judgeConfig, requestBudget: 1 }));
    const budgetArgs = ['rubrics', 'generate', '--durable', '--prompts', promptsFile, '--judge', budgetFile];
    const spent = await cli([...budgetArgs, '--out', join(dir, 'budget'), '--shard-size', '2'], env);
    assert.equal(spent.code, 0, spent.stderr);
    assert.match(spent.stdout, /^1 generated, 0 skipped/m);
    assert.match(
      spent.stdout,
      /^judge budget spent \(1 of 1 requests\): 4 prompts not asked; rerun with a larger requestBudget or tokenBudget in the judge config to continue where it stopped$/m,
    );
  });
});

/** Runs `anchorage` (from the sources) with `env` added; resolves with its exit code and output. */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/anchorage.mjs', ...args], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, ANCHORAGE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
