import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import YAML from 'yaml';
import { historyActivities } from '../src/client/history-activities.ts';
import { runHistories } from '../src/client/run-histories.ts';
import { storeLocationFromEnv } from '../src/config/store-env.ts';
import {
  ACTIVITIES_BY_QUEUE,
  QUEUE_OF_ROLE,
  WORKER_ROLES,
  type WorkerRole,
} from '../src/contracts/task-queues.ts';
import { defaultModelPath } from '../src/models/default-model.ts';
import { digestOf, parseAddress } from '../src/store/address.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { openStore } from '../src/store/open-store.ts';
import { checkpointRef } from '../src/store/run-refs.ts';
import type { ArtifactStore } from '../src/store/store.ts';
import { startMotoServer } from '../src/store/testing/moto-server.ts';
import { type DevServerHandle, startDevServer } from '../src/temporal/dev-server.ts';
import { freePort } from '../src/temporal/free-port.ts';
import { type ChainLink, checkpointChain } from '../src/train/checkpoint-chain.ts';
import { WORKFLOW_BUNDLE_FILE } from '../scripts/build.ts';
import { started, stopWorker, spawnWorker, type WorkerProcess } from '../workers/worker-process.ts';

// The production layout on one machine: `npm run build`, then a process per worker role started from
// the built entry points with environment variables only (the server address, the prebuilt workflow
// bundle, the store; queue names left at their defaults, as in docker-compose.yml), the built CLI
// starting a run against them, and a two-step run of the real model (SmolLM2-135M-Instruct)
// completing, each queue's work done by its own process. Once on each kind of store: a local folder
// all processes share, and an S3-compatible bucket (moto's server, as MinIO in docker-compose.yml)
// that is all they share, each process keeping its own data folder and object cache.

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const STEPS = 2;
/** The run both layouts complete (the README's recipe runs it too). */
const RUN_CONFIG = join(ROOT, 'configs/bench/production-layout.yaml');
// moto's server takes any credentials; these never leave this machine.
const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'moto-test-key', AWS_SECRET_ACCESS_KEY: 'moto-test-secret-1234' };
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

/** A process of the layout: a worker role, or the CLI that starts and follows the run. */
type LayoutProcess = WorkerRole | 'cli';

/** One kind of store, as the processes of the layout are given it. */
interface StoreDeployment {
  /** The variables a process is given, besides the server's address and the workflow bundle. */
  env(who: LayoutProcess): Record<string, string>;
  /** Where every worker must say it keeps the store ("workers started"). */
  location: string;
  /** The store, as this test reads it back. */
  store: ArtifactStore;
  /** The checks particular to this store, once the run has completed. */
  check(run: { trainRunId: string; chain: ChainLink[] }): Promise<void>;
  close(): Promise<void>;
}

/** One data folder for every process: the local store in `<data>/store` is what they share. */
async function localFolderStore(folder: string): Promise<StoreDeployment> {
  const data = join(folder, 'data');
  const store = new LocalFolderStore({ root: join(data, 'store') });
  return {
    env: () => ({ ANCHORAGE_DATA_DIR: data }),
    location: store.location,
    store,
    check: async () => {},
    close: async () => {},
  };
}

/**
 * A bucket on moto's S3 server, selected by the environment as docker-compose.yml's workers select
 * MinIO's (ANCHORAGE_STORE_URL and the AWS variables), and a data folder of its own for each process,
 * holding its object cache (`<data>/store-cache`): the bucket is all the processes share.
 */
async function s3Store(folder: string): Promise<StoreDeployment> {
  const bucket = 'anchorage';
  const prefix = 'store';
  const moto = await startMotoServer();
  const s3 = new S3Client({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: S3_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const dataOf = (who: LayoutProcess | 'test') => join(folder, who);
  const env = (who: LayoutProcess | 'test') => ({
    ANCHORAGE_DATA_DIR: dataOf(who),
    ANCHORAGE_STORE_URL: `s3://${bucket}/${prefix}`,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: 'us-east-1',
    ...S3_CREDENTIALS,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  // This process reads the bucket back through the store too, with the SDK's own credential lookup.
  Object.assign(process.env, S3_CREDENTIALS, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  const store = openStore(storeLocationFromEnv({ env: env('test') }));
  return {
    env,
    location: store.location,
    store,
    async check({ trainRunId, chain }) {
      // The run is in the bucket, listed through the S3 API: each checkpoint's ref, its record and
      // its adapters, under the layout's keys.
      const keys = new Set<string>();
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: `${prefix}/` },
      ))
        for (const object of page.Contents ?? []) keys.add(object.Key!);
      const objectKey = (address: string) => {
        const hex = digestOf(parseAddress(address));
        return `${prefix}/objects/${hex.slice(0, 2)}/${hex.slice(2)}`;
      };
      for (const link of chain) {
        assert.ok(
          keys.has(`${prefix}/refs/${checkpointRef({ trainRunId, step: link.step })}.ref`),
          `step ${link.step}'s ref`,
        );
        assert.ok(keys.has(objectKey(link.address)), `step ${link.step}'s checkpoint record`);
        assert.ok(keys.has(objectKey(link.adapter)), `step ${link.step}'s adapters`);
      }
      // No process kept a store of its own or wrote into another's folder: each data folder holds
      // only its object cache (nothing else local was shared), and the rollout worker read the
      // adapters of checkpoint 1, which the trainer wrote, from the bucket into its own cache.
      const processes = [...WORKER_ROLES, 'cli'] as const;
      assert.equal(new Set(processes.map((who) => env(who).ANCHORAGE_DATA_DIR)).size, processes.length);
      for (const who of processes)
        assert.deepEqual(await readdir(dataOf(who)), ['store-cache'], `${who}'s data folder`);
      const step1 = chain.find((c) => c.step === 1)!;
      const rolloutCache = new LocalFolderStore({ root: join(dataOf('rollout'), 'store-cache') });
      assert.ok(
        await rolloutCache.has(step1.adapter),
        "checkpoint 1's adapters, in the rollout worker's cache",
      );
    },
    async close() {
      s3.destroy();
      await moto.stop();
    },
  };
}

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

test("the layout's run is the SmolLM2 reference step, two steps, naming no queue and no store", async () => {
  const read = async (file: string) => YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const run = await read(RUN_CONFIG);
  const reference = await read(join(ROOT, 'configs/bench/smollm2-step.yaml'));
  // Queues and the store are left to the deployment (the workers' environment).
  assert.equal(run.store, undefined);
  assert.equal(run.temporal === undefined || !('taskQueues' in (run.temporal as object)), true);
  assert.deepEqual(run, {
    ...reference,
    name: 'production-layout',
    steps: STEPS,
    checkpointEvery: 1,
    evaluation: { every: 0 },
  });
});

const STORES = [
  { name: 'local', title: 'a local store folder they share', deploy: localFolderStore },
  { name: 's3', title: 'an S3-compatible bucket, each with its own folder', deploy: s3Store },
];

for (const { name, title, deploy } of STORES) {
  test(`a worker process per role, from the build, with environment variables only, completes a two-step SmolLM2 run on ${title}`, async (t) => {
    const deployment = await deploy(join(dir, name));
    const layout: WorkerProcess[] = [];
    t.after(async () => {
      await Promise.all(layout.map((w) => stopWorker(w)));
      await deployment.close();
    });
    const envOf = (who: LayoutProcess) => ({
      TEMPORAL_ADDRESS: server!.address,
      ANCHORAGE_WORKFLOW_BUNDLE: join(built, WORKFLOW_BUNDLE_FILE),
      ...deployment.env(who),
    });
    for (const role of WORKER_ROLES) layout.push(spawnWorker(`${role}.ts`, envOf(role), { built }));
    workers.push(...layout);
    await Promise.all(layout.map((w) => started(w)));
    for (const w of layout) {
      const line = await w.line((l) => l.msg === 'workers started');
      assert.equal(line.store, deployment.location, `${w.entry} keeps the store at`);
    }

    const trainRunId = `production-layout-${name}`;
    const cli = await runBuiltCli(['train', '--config', RUN_CONFIG, '--run-id', trainRunId], {
      ...envOf('cli'),
      ANCHORAGE_WORKERS: 'external',
    });
    assert.equal(cli.code, 0, cli.output);
    assert.match(cli.output, new RegExp(`step ${STEPS}/${STEPS} done`));

    // Each update applied once, from its parent: the checkpoint chain in the shared store.
    const chain = await checkpointChain({ store: deployment.store, trainRunId, model: defaultModelPath() });
    assert.deepEqual(
      chain.filter((c) => c.step > 0).map((c) => c.step),
      [1, 2],
    );

    // Every activity ran in the process of the role that polls its queue (worker identity: pid@host).
    const identity = new Map<string, string>(
      layout.map((w, i) => [`${w.child.pid}@${hostname()}`, WORKER_ROLES[i]!]),
    );
    const ranBy = new Map<string, Set<string>>();
    const first = await client.workflow.getHandle(trainRunId).describe();
    for (const { history } of await runHistories({ client, trainRunId, firstRunId: first.runId })) {
      for (const a of historyActivities(history)) {
        if (a.worker === null) continue;
        const role = identity.get(a.worker);
        assert.ok(role !== undefined, `${a.name} ran in ${a.worker}, not one of the workers`);
        ranBy.set(a.name, (ranBy.get(a.name) ?? new Set()).add(role));
      }
      for (const e of history.events ?? []) {
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

    await deployment.check({ trainRunId, chain });
  });
}
