import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { parseOverrides } from '../src/cli/commands/runs.ts';
import { DEFAULT_TASK_QUEUES } from '../src/contracts/task-queues.ts';
import { workerProcessEnv, workerSettings } from './env.ts';
import { pinoTemporalLogger } from './logging.ts';
import { webUiUrl } from '../src/client/run-client.ts';

test('worker settings come from the environment, with defaults and named errors', () => {
  const defaults = workerSettings({ ANCHORAGE_DATA_DIR: '/data' });
  assert.equal(defaults.address, 'localhost:7233');
  assert.equal(defaults.namespace, 'default');
  assert.deepEqual(defaults.taskQueues, DEFAULT_TASK_QUEUES);
  assert.equal(defaults.storeDir, '/data/store');
  assert.equal(defaults.dataDir, '/data');
  assert.deepEqual(defaults.concurrency, { workflow: 8, rollout: 1, judge: 4, trainer: 1 });
  assert.equal(defaults.shutdownGraceMs, 30_000);
  assert.equal(defaults.measureKl, false);
  assert.equal(defaults.executionProvider, 'cpu');
  assert.equal(defaults.metrics, undefined, 'no metrics endpoint unless asked for');

  const set = workerSettings({
    TEMPORAL_ADDRESS: 'temporal:7233',
    TEMPORAL_NAMESPACE: 'train',
    ANCHORAGE_TASK_QUEUE_ROLLOUT: 'rollout-gpu',
    ANCHORAGE_STORE_DIR: '/mnt/store',
    ANCHORAGE_JUDGE_CONCURRENCY: '16',
    ANCHORAGE_SHUTDOWN_GRACE_SECONDS: '5',
    ANCHORAGE_MEASURE_KL: '1',
    ANCHORAGE_ENGINE_THREADS: '',
    ANCHORAGE_EXECUTION_PROVIDER: 'cuda',
  });
  assert.equal(set.address, 'temporal:7233');
  assert.equal(set.taskQueues.rollout, 'rollout-gpu');
  assert.equal(set.taskQueues.trainer, DEFAULT_TASK_QUEUES.trainer);
  assert.equal(set.storeDir, '/mnt/store');
  assert.equal(set.concurrency.judge, 16);
  assert.equal(set.shutdownGraceMs, 5_000);
  assert.equal(set.measureKl, true);
  assert.equal(set.engineThreads, undefined, 'an empty variable counts as unset');
  assert.equal(set.executionProvider, 'cuda');
  assert.throws(
    () => workerSettings({ ANCHORAGE_EXECUTION_PROVIDER: 'rocm' }),
    /ANCHORAGE_EXECUTION_PROVIDER: expected/,
  );

  assert.deepEqual(workerSettings({ ANCHORAGE_METRICS_PORT: '9464' }).metrics, {
    host: '0.0.0.0',
    port: 9464,
  });
  assert.deepEqual(
    workerSettings({ ANCHORAGE_METRICS_PORT: '0', ANCHORAGE_METRICS_HOST: '127.0.0.1' }).metrics,
    { host: '127.0.0.1', port: 0 },
    'port 0: any free port',
  );
  assert.throws(
    () => workerSettings({ ANCHORAGE_METRICS_PORT: '70000' }),
    /ANCHORAGE_METRICS_PORT: expected a TCP port/,
  );
  assert.throws(() => workerSettings({ ANCHORAGE_METRICS_PORT: 'on' }), /ANCHORAGE_METRICS_PORT: expected/);

  assert.throws(
    () => workerSettings({ ANCHORAGE_ROLLOUT_CONCURRENCY: '0' }),
    /ANCHORAGE_ROLLOUT_CONCURRENCY: expected/,
  );
  assert.throws(
    () => workerSettings({ ANCHORAGE_TASK_QUEUE_JUDGE: 'no spaces' }),
    /ANCHORAGE_TASK_QUEUE_JUDGE: expected a task-queue name/,
  );
});

test("the Temporal runtime's log lines reach pino: data first, errors under err", () => {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'trace' },
    { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  const bridge = pinoTemporalLogger(log);
  bridge.info('Worker state changed', { state: 'RUNNING', sdkComponent: 'worker' });
  bridge.log('ERROR', 'Activity failed', { error: new Error('boom') });
  bridge.warn('No workflows registered, not polling for workflow tasks');
  assert.equal(lines[0]!.msg, 'Worker state changed');
  assert.equal(lines[0]!.state, 'RUNNING');
  assert.equal(lines[0]!.level, 30);
  assert.equal(lines[1]!.level, 50);
  assert.equal((lines[1]!.err as { message: string }).message, 'boom');
  assert.equal(lines[2]!.level, 20, 'activity-only workers are intended: their warning is demoted');
});

test('Web UI links and RL overrides from the command line', () => {
  assert.equal(
    webUiUrl({ address: 'localhost:7233', namespace: 'default', workflowId: 'quickstart-1', env: {} }),
    'http://localhost:8233/namespaces/default/workflows/quickstart-1',
  );
  assert.equal(
    webUiUrl({
      address: 'temporal.internal:7233',
      namespace: 'ns',
      env: { TEMPORAL_UI_URL: 'https://ui.example/' },
    }),
    'https://ui.example/namespaces/ns/workflows',
  );
  assert.equal(webUiUrl({ address: 'temporal.internal:7233', namespace: 'ns', env: {} }), undefined);
  assert.deepEqual(parseOverrides(['learningRate=1e-5', 'klCoefficient=0']), {
    learningRate: 1e-5,
    klCoefficient: 0,
  });
  assert.throws(() => parseOverrides(['lr=1']), /--set: expected name=value with a name from learningRate/);
  assert.throws(() => parseOverrides(['learningRate=fast']), /--set learningRate: expected a number/);
});

test('workerProcessEnv is the environment workerSettings reads back', () => {
  const taskQueues = { workflow: 'w', rollout: 'r', judge: 'j', trainer: 't' };
  const env = workerProcessEnv({
    address: 'localhost:7450',
    storeDir: '/tmp/x/store',
    dataDir: '/tmp/x',
    taskQueues,
    workflowBundle: '/tmp/x/workflows.js',
    metrics: { host: '127.0.0.1', port: 0 },
  });
  const settings = workerSettings(env);
  assert.deepEqual(
    [
      settings.address,
      settings.storeDir,
      settings.dataDir,
      settings.taskQueues,
      settings.workflowBundle,
      settings.metrics,
    ],
    [
      'localhost:7450',
      '/tmp/x/store',
      '/tmp/x',
      taskQueues,
      '/tmp/x/workflows.js',
      { host: '127.0.0.1', port: 0 },
    ],
  );
});
