import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readMetrics } from '../src/train/read-metrics.ts';
import { startTrainingRun } from '../src/client/run-client.ts';
import {
  type InProcessTemporal,
  prepareFile,
  startInProcessTemporal,
  tinyTaskQueues,
  writeTinyRun,
} from './temporal-harness.ts';

/**
 * The whole pipeline learns: rollouts, judge shards, rewards and advantages, LoRA updates and
 * checkpoints, each a Temporal activity, raise the reward that the rubric's verifiers give. Measured
 * by sampled evaluations (temperature 1, many samples per held-in prompt) of the base policy and of
 * the final checkpoint, so a sign error or a misaligned advantage anywhere between the rollouts and
 * the update fails here even though every part passes its own tests.
 */
describe('learning through Temporal (real server, tiny model, in-process workers)', () => {
  const queues = tinyTaskQueues('learn-test');
  let fixture: InProcessTemporal | undefined;

  before(async () => {
    fixture = await startInProcessTemporal({ queues, dirPrefix: 'anchorage-learning-' });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('raises the evaluated mean reward of the tiny policy from a fixed seed', async (t) => {
    const { env, model, dir, storeDir, store } = fixture!;
    const steps = 10;
    const file = await writeTinyRun({
      dir: join(dir, 'learn'),
      queuePrefix: 'learn-test',
      modelPath: model.path,
      storeDir,
      steps,
      prompts: 4,
      promptsPerStep: 2,
      groupSize: 8,
      learningRate: 2e-2,
      evaluationEvery: steps,
      evaluation: { maxPrompts: 4, samplesPerPrompt: 16, temperature: 1, maxNewTokens: 12 },
    });
    const { prepared, text } = await prepareFile(file);
    const run = await startTrainingRun({
      client: env.client,
      store,
      prepared,
      file,
      text,
      trainRunId: 'learn-run',
    });
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    const records = await readMetrics({ store, trainRunId: run.trainRunId });
    const evals = records.filter((r) => r.purpose === 'eval');
    const train = records.filter((r) => r.purpose === 'train').map((r) => r.metrics['reward/mean']);
    const before = evals.find((r) => r.step === 0)?.metrics['eval/reward/mean'];
    const afterTraining = evals.find((r) => r.step === steps)?.metrics['eval/reward/mean'];
    assert.equal(typeof before, 'number');
    assert.equal(typeof afterTraining, 'number');
    t.diagnostic(
      `evaluated mean reward ${before!.toFixed(3)} -> ${afterTraining!.toFixed(3)}; training batches ${train.map((r) => r?.toFixed(2)).join(', ')}`,
    );
    assert.ok(afterTraining! >= before! + 0.2, `${before} -> ${afterTraining}`);
  });
});
