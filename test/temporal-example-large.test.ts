import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { parseDocument, parse as parseYaml } from 'yaml';
import { startTrainingRun } from '../src/client/run-client.ts';
import { prepareRun } from '../src/config/check.ts';
import { parseRunConfig } from '../src/config/load.ts';
import { sourceName } from '../src/data/sources.ts';
import { type ChatServer, startChatServer } from '../src/rubric/judge/test-server.ts';
import { ShardJudgement } from '../src/train/judgements.ts';
import { readMetrics } from '../src/train/read-metrics.ts';
import { RewardsRecord } from '../src/train/rewards.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { SelectionRecord } from '../src/train/selection.ts';
import { workflowBundle } from '../workers/bundle.ts';
import {
  checkpointChain,
  type InProcessTemporal,
  runHistories,
  runResult,
  startInProcessTemporal,
  tinyTaskQueues,
} from './temporal-harness.ts';

const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'configs/example-large.yaml');
const JUDGE_LOCAL = join(ROOT, 'configs/judge-local.yaml');
const STEPS_PER_STAGE = 2;

/**
 * A judge over real HTTP that answers like a model decoding under the verdict's JSON Schema
 * (`responseFormat: json_schema`, as configs/judge-local.yaml asks): one of the tier labels the
 * request's schema lists, picked by a hash of the request, with a reason. Deterministic.
 */
function startSchemaJudge(): Promise<ChatServer> {
  return startChatServer({
    handler: (request) => {
      const body = request.body as {
        response_format?: { json_schema?: { schema?: { properties?: { tier?: { enum?: string[] } } } } };
      };
      const labels = body.response_format?.json_schema?.schema?.properties?.tier?.enum ?? [];
      const digest = createHash('sha256').update(request.rawBody).digest();
      const tier = labels[digest[0]! % Math.max(1, labels.length)] ?? 'none offered';
      return {
        type: 'completion',
        content: JSON.stringify({
          reason: 'Read the answer against the criterion; it fits this tier.',
          tier,
        }),
      };
    },
  });
}

/** Six short prompts of a source (the tiny model reads 128 bytes), tagged like the real ones. */
function standInPrompts(name: string): unknown[] {
  return Array.from({ length: 6 }, (_, i) => {
    const base = { id: `${name}-${i}`, prompt: `Tell me ${i} thing.` };
    switch (name) {
      // The generator's prompts: verifier-only instance rubrics (the judged defence skips them).
      case 'constraints':
        return {
          ...base,
          tags: ['generated', 'instruction-following', 'verifier-only'],
          rubric: {
            id: `stand-in/constraints-${i}`,
            version: 1,
            title: `stand-in constraint prompt ${i}`,
            scope: 'instance',
            criteria: [
              {
                id: 'letters',
                description: 'At least three ASCII letters.',
                weight: 1,
                passFail: true,
                evaluator: {
                  type: 'verifier',
                  name: 'text.regex',
                  params: { pattern: '[A-Za-z]', minCount: 3 },
                },
              },
            ],
          },
        };
      case 'creative':
        return { ...base, tags: ['arena-hard', 'arena-hard:v2.0', 'arena-hard:creative-writing'] };
      case 'arena-v01':
        return { ...base, tags: ['arena-hard', 'arena-hard:v0.1'] };
      default:
        return { ...base, tags: [name] };
    }
  });
}

/**
 * configs/example-large.yaml in a shortened form, through the configuration-text override that
 * `anchorage train` and `anchorage bench learning` use (the text replaces the file's, relative
 * paths still resolve against configs/). Kept as the file says: its stages (names, order, sources,
 * RL overrides), its rubric rules (judged defence, creative-writing, style), its data selection
 * (central band before each stage), its judge's settings (per-criterion, JSON-schema replies),
 * LoRA targets, RL algorithm. Changed: the model (the tiny one), the sizes (2 steps per stage,
 * groups of 4, 2 prompts a step, 12 new tokens), and the judge's address and cache. Its prompt
 * sources keep their names and roles but read six short stand-in prompts each, tagged as the real
 * importers tag them: the real data is not in the checkout (../../shared/data), and its prompts do
 * not fit the tiny model's 128-byte context.
 */
async function shortenedExample(options: {
  dir: string;
  modelPath: string;
  storeDir: string;
  judgeUrl: string;
  queuePrefix: string;
}): Promise<{ file: string; text: string }> {
  const { dir } = options;
  await mkdir(dir, { recursive: true });
  const original = readFileSync(EXAMPLE, 'utf8');
  const parsed = parseRunConfig({ text: original, file: EXAMPLE });
  // The local judge's settings; no API key (the scripted server asks for none).
  const { apiKeyEnv: _, ...judge } = parseYaml(readFileSync(JUDGE_LOCAL, 'utf8')) as Record<string, unknown>;
  const judgeFile = join(dir, 'judge.json');
  await writeFile(
    judgeFile,
    JSON.stringify({
      ...judge,
      baseUrl: options.judgeUrl,
      model: 'schema-judge',
      cacheDir: join(dir, 'verdicts'),
    }),
  );
  const sources = [];
  for (const source of parsed.config.prompts.sources) {
    const name = sourceName(source);
    const file = join(dir, `${name}.jsonl`);
    await writeFile(
      file,
      standInPrompts(name)
        .map((p) => `${JSON.stringify(p)}\n`)
        .join(''),
    );
    sources.push({ type: 'jsonl', name, file, role: source.role });
  }
  const doc = parseDocument(original);
  doc.setIn(['model'], { path: options.modelPath, name: 'tiny-llama' });
  doc.setIn(['lora', 'rank'], 4);
  doc.setIn(['lora', 'alpha'], 8);
  doc.setIn(['prompts', 'sources'], sources);
  doc.setIn(['judge', 'config'], judgeFile);
  doc.setIn(['rl', 'groupSize'], 4);
  doc.setIn(['rl', 'promptsPerStep'], 2);
  doc.setIn(['rl', 'maxNewTokens'], 12);
  doc.setIn(['checkpointEvery'], STEPS_PER_STAGE);
  doc.setIn(['evaluation', 'every'], STEPS_PER_STAGE);
  doc.setIn(['evaluation', 'maxPrompts'], 2);
  doc.setIn(['evaluation', 'maxNewTokens'], 8);
  for (const i of parsed.stages.keys()) doc.setIn(['stages', i, 'steps'], STEPS_PER_STAGE);
  doc.setIn(['dataSelection', 'samplesPerPrompt'], 2);
  doc.setIn(['dataSelection', 'maxPrompts'], 12);
  doc.setIn(['temporal', 'taskQueues'], tinyTaskQueues(options.queuePrefix));
  doc.setIn(['temporal', 'continueAsNewEvery'], STEPS_PER_STAGE);
  doc.setIn(['store'], { path: options.storeDir });
  return { file: EXAMPLE, text: doc.toString() };
}

describe('configs/example-large.yaml, shortened (real server, tiny model, judge over HTTP, in-process workers)', () => {
  const queues = tinyTaskQueues('example-large');
  let fixture: InProcessTemporal | undefined;
  let judge: ChatServer | undefined;

  before(async () => {
    fixture = await startInProcessTemporal({ queues, dirPrefix: 'anchorage-example-large-' });
    judge = await startSchemaJudge();
  });
  after(async () => {
    await fixture?.stop();
    await judge?.close();
  });

  it('runs both stages with data selection before each, judged verdicts parsed, finite rewards; histories replay', async () => {
    const { env, model, dir, storeDir, store } = fixture!;
    const { file, text } = await shortenedExample({
      dir: join(dir, 'example'),
      modelPath: model.path,
      storeDir,
      judgeUrl: judge!.baseUrl,
      queuePrefix: 'example-large',
    });
    const prepared = prepareRun({ loaded: parseRunConfig({ text, file }) });
    const { config, stages } = prepared.loaded;

    // What the shortened form keeps of the file.
    const example = parseRunConfig({ text: readFileSync(EXAMPLE, 'utf8'), file: EXAMPLE });
    assert.deepEqual(
      stages.map((s) => [s.name, s.sources, s.rl.temperature, s.rl.klCoefficient, s.dataSelection.when]),
      example.stages.map((s) => [
        s.name,
        s.sources,
        s.rl.temperature,
        s.rl.klCoefficient,
        s.dataSelection.when,
      ]),
    );
    assert.deepEqual(config.rubrics.apply, example.config.rubrics.apply);
    assert.deepEqual(config.dataSelection, {
      ...example.config.dataSelection,
      samplesPerPrompt: 2,
      maxPrompts: 12,
    });
    assert.equal(config.dataSelection.enabled, true);
    assert.deepEqual(config.lora.targets, example.config.lora.targets);
    assert.deepEqual(
      [config.rl.advantage, config.rl.loss, config.rl.klEstimator],
      [example.config.rl.advantage, example.config.rl.loss, example.config.rl.klEstimator],
    );
    assert.equal(prepared.judge?.mode, 'per-criterion');
    assert.equal(prepared.judge?.responseFormat, 'json_schema');
    const judgedRubrics = [...prepared.rubrics.values()].filter((r) =>
      r.criteria.some((c) => c.evaluator.type === 'judge'),
    );
    assert.ok(judgedRubrics.length >= 2, judgedRubrics.map((r) => r.id).join(', '));

    const run = await startTrainingRun({
      client: env.client,
      store,
      prepared,
      file,
      text,
      trainRunId: 'example-large-run',
      timing: { heartbeatTimeoutSeconds: 10 },
    });
    const result = await runResult({ client: env.client, handle: run.handle, trainRunId: run.trainRunId });
    assert.equal(result.status, 'completed');
    const total = STEPS_PER_STAGE * stages.length;
    assert.equal(result.completedSteps, total);
    const chain = await checkpointChain({ store, trainRunId: run.trainRunId, model: model.path });
    assert.equal(chain.length, total);

    // Both stages ran, in order, each after its data selection.
    const records = await readMetrics({ store, trainRunId: run.trainRunId });
    assert.deepEqual(
      records.filter((r) => r.purpose === 'train').map((r) => r.stage),
      stages.flatMap((s) => Array.from({ length: STEPS_PER_STAGE }, () => s.name)),
    );
    for (const stage of stages) {
      const address = await store.getRef(runRefs.selection(run.trainRunId, stage.firstStep));
      assert.ok(address !== undefined, `stage ${stage.name} selected its prompts`);
      const selection = await store.getJson(address, SelectionRecord);
      assert.equal(selection.stage, stage.name);
      assert.ok(selection.scored > 0);
    }
    assert.deepEqual(
      records.filter((r) => r.purpose === 'select').map((r) => r.step),
      stages.map((s) => s.firstStep),
    );
    // Evaluations (held-out IFEval and Arena-Hard stand-ins, judged) before training and every 2 steps.
    const evals = records.filter((r) => r.purpose === 'eval');
    assert.deepEqual(
      evals.map((r) => r.step),
      [0, 2, 4],
    );
    for (const r of evals) assert.ok(Number.isFinite(r.metrics['eval/reward/mean']), `eval ${r.step}`);

    // The judge was asked over HTTP and its verdicts parsed: judged criteria scored with one of
    // their tiers (never unscorable), and every reward of every step finite or, where nothing could
    // be scored, absent (never NaN).
    assert.ok(judge!.requests.length > 0, 'the judge was asked');
    let judgeVerdicts = 0;
    for (let step = 1; step <= total; step++) {
      const key = { trainRunId: run.trainRunId, step, purpose: 'train' as const };
      const shards = await store.listRefs(runRefs.judgements(key));
      assert.ok(shards.length > 0, `step ${step} judged`);
      for (const shard of shards) {
        const record = await store.getJson(shard.address, ShardJudgement);
        for (const v of record.groups.flatMap((g) => g.samples.flat().flatMap((r) => r.verdicts))) {
          if (!v.evaluator.startsWith('judge:')) continue;
          judgeVerdicts++;
          assert.equal(v.status, 'scored', `step ${step}: ${v.criterionId}: ${v.reason}`);
        }
      }
      const rewards = await store.getJson((await store.getRef(runRefs.rewards(key)))!, RewardsRecord);
      const values = rewards.samples.map((s) => s.reward);
      assert.ok(
        values.every((r) => r === null || Number.isFinite(r)),
        `step ${step}: ${values.join(', ')}`,
      );
      assert.ok(
        values.some((r) => r !== null),
        `step ${step} has scored rewards`,
      );
    }
    assert.ok(judgeVerdicts > 0, 'judged criteria were scored by the judge');
    const stage2 = records.filter((r) => r.purpose === 'train' && r.stage === stages[1]!.name);
    assert.ok(
      stage2.every((r) => (r.metrics['judge/judge_verdicts'] ?? 0) > 0),
      'every open-ended step was judged',
    );

    const histories = await runHistories({
      client: env.client,
      trainRunId: run.trainRunId,
      firstRunId: run.handle.firstExecutionRunId,
    });
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      assert.equal(r.error, undefined, `${r.workflowId} replays: ${r.error}`);
    }
  });
});
