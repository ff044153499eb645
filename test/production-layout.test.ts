import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import YAML from 'yaml';
import { runHistories } from '../src/client/run-histories.ts';
import { ACTIVITIES_BY_QUEUE, QUEUE_OF_ROLE, WORKER_ROLES } from '../src/contracts/task-queues.ts';
import { defaultModelPath } from '../src/models/default-model.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { type DevServerHandle, startDevServer } from '../src/temporal/dev-server.ts';
import { freePort } from '../src/temporal/free-port.ts';
import { checkpointChain } from '../src/train/checkpoint-chain.ts';
import { WORKFLOW_BUNDLE_FILE } from '../scripts/build.ts';
import { started, stopWorker, spawnWorker, type WorkerProcess } from '../workers/worker-process.ts';

// The production layout on one machine: `npm run build`, then a process per worker role started from
// the built entry points with environment variables only (the server address, the data folder whose
// store they share, the prebuilt workflow bundle; queue names left at their defaults, as in
// docker-compose.yml), the built CLI starting a run against them, and a two-step run of the real
// model (SmolLM2-135M-Instruct) completing, each queue's work done by its own process.

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const STEPS = 2;
let dir = '';
let built = '';
let server: DevServerHandle | undefined;
let client: Client;
const workers: WorkerProcess[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anchorage-production-layout-'));
  built = join(dir, 'dist');
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out', built], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, `build failed:\n${build.stdout}\n${build.stderr}`);
  server = await startDevServer({
    dbFile: join(dir, 'temporal.sqlite'),
    port: await freePort(),
    uiPort: false,
  });
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
});

after(async () => {
  await Promise.all(workers.map((w) => stopWorker(w)));
  await client?.connection.close();
  await server?.stop();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** Runs the built CLI from outside the repository with `env` only; resolves with its exit and output. */
function runBuiltCli(args: string[], env: Record<string, string>) {
  const { NODE_OPTIONS: _loader, ...inherited } = process.env;
  const child = spawn(process.execPath, [join(built, 'src/cli/bin.js'), ...args], {
    cwd: tmpdir(),
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, output })),
  );
}

test('a worker process per role, from the build, with environment variables only, completes a two-step SmolLM2 run', async () => {
  const dataDir = join(dir, 'data');
  const env = {
    TEMPORAL_ADDRESS: server!.address,
    ANCHORAGE_DATA_DIR: dataDir,
    ANCHORAGE_WORKFLOW_BUNDLE: join(built, WORKFLOW_BUNDLE_FILE),
  };
  for (const role of WORKER_ROLES) workers.push(spawnWorker(`${role}.ts`, env, { built }));
  await Promise.all(workers.map((w) => started(w)));

  // The SmolLM2 reference step's configuration, two steps, a checkpoint each, no evaluation, and
  // nothing about queues or the store: those are the deployment's defaults.
  const doc = YAML.parse(await readFile(join(ROOT, 'configs/bench/smollm2-step.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.equal(doc.temporal === undefined || !('taskQueues' in (doc.temporal as object)), true);
  assert.equal(doc.store, undefined);
  Object.assign(doc, { steps: STEPS, checkpointEvery: 1, evaluation: { every: 0 } });
  const config = join(dir, 'run.yaml');
  await writeFile(config, YAML.stringify(doc));

  const trainRunId = 'production-layout-1';
  const cli = await runBuiltCli(['train', '--config', config, '--run-id', trainRunId], {
    ...env,
    ANCHORAGE_WORKERS: 'external',
  });
  assert.equal(cli.code, 0, cli.output);
  assert.match(cli.output, new RegExp(`step ${STEPS}/${STEPS} done`));

  // Each update applied once, from its parent: the checkpoint chain in the shared store.
  const store = new LocalFolderStore({ root: join(dataDir, 'store') });
  const chain = await checkpointChain({ store, trainRunId, model: defaultModelPath() });
  assert.deepEqual(
    chain.filter((c) => c.step > 0).map((c) => c.step),
    [1, 2],
  );

  // Every activity ran in the process of the role that polls its queue (worker identity: pid@host).
  const identity = new Map<string, string>(
    workers.map((w, i) => [`${w.child.pid}@${hostname()}`, WORKER_ROLES[i]!]),
  );
  const ranBy = new Map<string, Set<string>>();
  const first = await client.workflow.getHandle(trainRunId).describe();
  for (const { history } of await runHistories({ client, trainRunId, firstRunId: first.runId })) {
    const scheduled = new Map<string, string>();
    for (const e of history.events ?? []) {
      const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
      if (type) scheduled.set(String(e.eventId), type);
      const startedEvent = e.activityTaskStartedEventAttributes;
      if (startedEvent) {
        const activity = scheduled.get(String(startedEvent.scheduledEventId))!;
        const role = identity.get(startedEvent.identity ?? '');
        assert.ok(role !== undefined, `${activity} ran in ${startedEvent.identity}, not one of the workers`);
        ranBy.set(activity, (ranBy.get(activity) ?? new Set()).add(role));
      }
      const workflowTask = e.workflowTaskStartedEventAttributes?.identity;
      if (workflowTask) assert.equal(identity.get(workflowTask), 'orchestrator', 'workflow tasks');
    }
  }
  for (const role of WORKER_ROLES) {
    const served = ACTIVITIES_BY_QUEUE[QUEUE_OF_ROLE[role]].filter((a) => ranBy.has(a));
    for (const activity of served) assert.deepEqual([...ranBy.get(activity)!], [role], activity);
  }
  for (const activity of ['generateRollouts', 'judgeRollouts', 'updatePolicy', 'commitCheckpoint'])
    assert.ok(ranBy.has(activity), `${activity} ran`);
});
