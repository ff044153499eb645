import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import YAML from 'yaml';
import { historyActivities } from '../../src/client/history-activities.ts';
import { historyEvent, runProgress } from '../../src/client/history-waits.ts';
import { runHistories } from '../../src/client/run-histories.ts';
import { startTrainingRun } from '../../src/client/run-client.ts';
import { type PreparedRun, prepareRun } from '../../src/config/check.ts';
import { parseRunConfig } from '../../src/config/load.ts';
import { TRAIN_STEP } from '../../src/contracts/search-attributes.ts';
import { WORKER_ROLES } from '../../src/contracts/task-queues.ts';
import { runWorkflowIds } from '../../src/contracts/workflow-ids.ts';
import { LocalFolderStore } from '../../src/store/local-store.ts';
import { readCheckpointChain } from '../../src/train/checkpoint-chain.ts';
import { ShardJudgement } from '../../src/train/judgements.ts';
import { RolloutBatch } from '../../src/train/rollouts.ts';
import { runRefs } from '../../src/train/run-refs.ts';
import { startLocalDeployment } from '../local-deployment.ts';
import type { DisruptionRecord, RunObservation } from './compare.ts';
import { type Disruption, targetName } from './schedule.ts';
import { WorkerSupervisor } from './supervisor.ts';

/**
 * One run of the chaos benchmark (scripts/chaos.ts): a configuration trained on its own local
 * deployment (workers/local-deployment.ts: a dev server on a SQLite file in a fresh temporary folder,
 * one worker process per queue), undisturbed or with `schedule`'s disruptions (a worker process
 * SIGKILLed and restarted, or the server SIGKILLed and restarted on the same SQLite file); then what
 * the store, the histories and the processes' log lines say about it (`RunObservation`).
 *
 * Waits are on events: a process's exit and its "workers started" line, the server answering, the
 * run's result or a step failing for good in its history. The only timed waits are the seeded
 * delays before each disruption.
 */
export async function chaosRun(options: {
  label: string;
  /** The configuration file (its relative paths resolve against it) and its text. */
  file: string;
  text: string;
  trainRunId: string;
  /** A workflow bundle shared by the runs (workers/bundle.ts `writeWorkflowBundle`). */
  bundleFile: string;
  /** Added to every worker process's environment (the tiny run's settings). */
  workerEnv?: Record<string, string>;
  /** The run's activity heartbeat timeout; default the run's (DEFAULT_TIMING). */
  heartbeatTimeoutSeconds?: number;
  schedule: readonly Disruption[];
  /** Requests the judge server has answered so far, when the judge is this process's. */
  judgeRequests?: () => number;
  /**
   * After killing the orchestrator, tell the server the run's workflows lost their sticky worker, as
   * a supervisor that saw the process die would; otherwise their next workflow task waits for the
   * sticky queue's schedule-to-start timeout (10 s) before another orchestrator gets it.
   */
  resetSticky?: boolean;
  /** Keep the run's folder (SQLite file, store, worker logs) instead of removing it. */
  keep: boolean;
  say: (line: string) => void;
}): Promise<RunObservation> {
  const { label, trainRunId, say } = options;
  const deployment = await startLocalDeployment({
    dirPrefix: `anchorage-chaos-${label}-`,
    bundleFile: options.bundleFile,
  });
  const { dir, client } = deployment;
  let supervisor: WorkerSupervisor | undefined;
  try {
    const storeDir = join(dir, 'store');
    const run = await runConfiguration({ file: options.file, text: options.text, dir, storeDir });
    const config = run.prepared.loaded.config;
    // The server is down only while a disruption restarts it; this says when it answers again.
    let serverUp: Promise<void> = Promise.resolve();
    let t0 = performance.now();
    const clock = () => performance.now() - t0;
    supervisor = new WorkerSupervisor({
      deployment,
      env: {
        ...deployment.workerEnv({ storeDir, dataDir: dir, queues: config.temporal.taskQueues }),
        ...options.workerEnv,
      },
      roles: WORKER_ROLES,
      clock,
      serverReady: () => serverUp,
      ...(options.resetSticky
        ? {
            onKilled: async (role) => {
              if (role === 'orchestrator')
                await resetStickyQueues({ client, trainRunId, steps: config.steps });
            },
          }
        : {}),
    });
    say(`${label}: ${dir}: starting one worker process per queue`);
    await supervisor.start();
    const store = new LocalFolderStore({ root: storeDir });
    const judgeBefore = options.judgeRequests?.() ?? 0;
    t0 = performance.now();
    const started = await startTrainingRun({
      client,
      store,
      prepared: run.prepared,
      file: options.file,
      text: run.text,
      trainRunId,
      ...(options.heartbeatTimeoutSeconds === undefined
        ? {}
        : { timing: { heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds } }),
    });
    say(`${label}: run ${trainRunId} started (${config.steps} steps)`);
    const waits = runOutcome({ client, trainRunId, serverUp: () => serverUp });
    const outcome = waits.first.then((o) => ({ ...o, wallMs: clock() }));
    let ended = false;
    void outcome.then(() => {
      ended = true;
    });

    const disruptions: DisruptionRecord[] = [];
    let lastHitMs = 0;
    for (const d of options.schedule) {
      // The one timed wait: the seeded delay after the previous disruption hit (the run's start for
      // the first), and not before that one was recovered from; cut short when the run ends first.
      await Promise.race([sleep(Math.max(0, lastHitMs + d.delayMs - clock())), outcome]);
      if (ended) {
        say(`${label}: the run ended before disruption ${d.index} of ${options.schedule.length}`);
        break;
      }
      const atMs = clock();
      lastHitMs = atMs;
      const stepsDone = await stepsCompleted(client, trainRunId);
      const hit = performance.now();
      let exit: string;
      if (d.target.kind === 'server') {
        let up!: () => void;
        serverUp = new Promise<void>((resolve) => {
          up = resolve;
        });
        await deployment.restartServer({ kill: true });
        up();
        exit = 'SIGKILL';
      } else {
        ({ exit } = await supervisor.kill(d.target.role));
      }
      const record: DisruptionRecord = {
        index: d.index,
        target: targetName(d.target),
        delayMs: d.delayMs,
        atMs,
        stepsDone,
        exit,
        recoveredMs: performance.now() - hit,
      };
      disruptions.push(record);
      say(
        `${label}: #${d.index} ${record.target} at ${(atMs / 1000).toFixed(1)} s (${stepsDone ?? '?'} steps done): ${exit}, back in ${(record.recoveredMs / 1000).toFixed(1)} s`,
      );
    }
    const result = await outcome;
    if (result.status.startsWith('failed')) {
      // A step failed for good and the run waits for resume or stop: end it.
      await client.workflow
        .getHandle(trainRunId)
        .terminate(`chaos benchmark: ${result.status}`)
        .catch(() => undefined);
    }
    // No wait on the run may be left pending when the connection closes.
    await waits.done;
    supervisor.stop();
    say(
      `${label}: ${result.status} after ${result.completedSteps} steps in ${(result.wallMs / 1000).toFixed(1)} s`,
    );

    const observation = await observe({
      label,
      dir,
      client,
      store,
      trainRunId,
      firstRunId: started.handle.firstExecutionRunId,
      totalSteps: config.steps,
      model: config.model.path,
      supervisor,
    });
    if (options.keep) await writeWorkerLogs({ dir, supervisor });
    return {
      ...observation,
      status: result.status,
      completedSteps: result.completedSteps,
      wallMs: result.wallMs,
      judgeServerRequests: options.judgeRequests === undefined ? null : options.judgeRequests() - judgeBefore,
      disruptions,
      unplannedExits: supervisor.unplannedExits.map((e) => ({ ...e })),
    };
  } finally {
    supervisor?.stop();
    await deployment.stop({ keepDir: options.keep });
  }
}

/**
 * The configuration as this run trains it: its store in the run's folder and, when it names a
 * judge, a copy of the judge configuration whose verdict cache is in the run's folder too, so
 * neither run reads the other's results. Relative paths still resolve against the original file.
 */
async function runConfiguration(options: {
  file: string;
  text: string;
  dir: string;
  storeDir: string;
}): Promise<{ text: string; prepared: PreparedRun }> {
  const { file, dir } = options;
  const original = parseRunConfig({ text: options.text, file }).config;
  const doc = (YAML.parse(options.text) ?? {}) as Record<string, unknown>;
  doc.store = { path: options.storeDir };
  if (original.judge !== undefined) {
    const judge = (YAML.parse(await readFile(original.judge.config, 'utf8')) ?? {}) as Record<
      string,
      unknown
    >;
    judge.cacheDir = join(dir, 'verdicts');
    const judgeFile = join(dir, 'judge.yaml');
    await writeFile(judgeFile, YAML.stringify(judge));
    doc.judge = { config: judgeFile };
  }
  const text = YAML.stringify(doc);
  return { text, prepared: prepareRun({ loaded: parseRunConfig({ text, file }) }) };
}

/**
 * The run's end: its result, or a step that failed for good (the run then waits for resume or stop,
 * so the benchmark stops waiting), whichever its history shows first. A wait cut by a server restart
 * is taken up again once the server answers.
 */
function runOutcome(options: { client: Client; trainRunId: string; serverUp: () => Promise<void> }): {
  /** The run's result, or the failed step, whichever comes first. */
  first: Promise<Outcome>;
  /** Settles once the run has closed and no wait on it is left (before the connection closes). */
  done: Promise<unknown>;
} {
  const { client, trainRunId } = options;
  const MAX_INTERRUPTIONS = 20;
  let settled = false;
  const result = (async (): Promise<Outcome> => {
    for (let interrupted = 0; ; interrupted++) {
      try {
        const r: { status: string; completedSteps: number } = await client.workflow
          .getHandle(trainRunId)
          .result();
        return { status: r.status, completedSteps: r.completedSteps };
      } catch (err) {
        if (err instanceof WorkflowFailedError || interrupted >= MAX_INTERRUPTIONS) {
          return { status: `error: ${(err as Error).message}`, completedSteps: 0 };
        }
        await options.serverUp();
      }
    }
  })().finally(() => {
    settled = true;
  });
  const failedStep = (async (): Promise<Outcome> => {
    for (let interrupted = 0; interrupted < MAX_INTERRUPTIONS && !settled; interrupted++) {
      try {
        await historyEvent({
          client,
          workflowId: trainRunId,
          match: (e) => e.childWorkflowExecutionFailedEventAttributes != null,
        });
        const p = await runProgress({
          client,
          trainRunId,
          what: 'the failed step',
          until: (p) => p.status === 'failed' || p.status === 'completed',
        });
        if (p.status !== 'failed') break;
        return {
          status: `failed (${p.failure?.type ?? '?'} at step ${p.failure?.step ?? '?'})`,
          completedSteps: p.completedSteps,
        };
      } catch {
        // The run closed without a failed step (the result says how), or a server restart cut the wait.
        await options.serverUp();
      }
    }
    return result;
  })();
  return { first: Promise.race([result, failedStep]), done: Promise.allSettled([result, failedStep]) };
}

interface Outcome {
  status: string;
  completedSteps: number;
}

/**
 * Resets the sticky task queue of the run's workflow and of each of its children that may exist
 * (steps, evaluations, selections): their next workflow task goes to the shared queue at once.
 */
async function resetStickyQueues(options: {
  client: Client;
  trainRunId: string;
  steps: number;
}): Promise<void> {
  const { client, trainRunId } = options;
  const ids = [runWorkflowIds.run(trainRunId)];
  for (let n = 0; n <= options.steps; n++) {
    if (n > 0) ids.push(runWorkflowIds.step(trainRunId, n));
    ids.push(runWorkflowIds.evaluation(trainRunId, n), runWorkflowIds.selection(trainRunId, n));
  }
  await Promise.all(
    ids.map(
      (workflowId) =>
        client.workflowService
          .resetStickyTaskQueue({ namespace: client.options.namespace, execution: { workflowId } })
          .catch(() => undefined), // a workflow that does not exist (yet)
    ),
  );
}

/** Steps the run had completed (its TrainStep search attribute); null when it cannot be read. */
async function stepsCompleted(client: Client, trainRunId: string): Promise<number | null> {
  try {
    const described = await client.workflow.getHandle(trainRunId).describe();
    return described.typedSearchAttributes.get(TRAIN_STEP) ?? null;
  } catch {
    return null;
  }
}

/** What the store, the histories and the worker processes' log lines say about a finished run. */
async function observe(options: {
  label: string;
  dir: string;
  client: Client;
  store: LocalFolderStore;
  trainRunId: string;
  firstRunId: string;
  totalSteps: number;
  model: string;
  supervisor: WorkerSupervisor;
}): Promise<
  Omit<
    RunObservation,
    'status' | 'completedSteps' | 'wallMs' | 'judgeServerRequests' | 'disruptions' | 'unplannedExits'
  >
> {
  const { store, trainRunId, totalSteps } = options;
  const chain = (await readCheckpointChain({ store, trainRunId, model: options.model })).map(
    ({ record: _record, ...link }) => link,
  );
  const rollouts: RunObservation['rollouts'] = [];
  const judge = { shards: 0, cacheHits: 0, cacheMisses: 0, requests: 0 };
  for (let step = 1; step <= totalSteps; step++) {
    const key = { trainRunId, step, purpose: 'train' as const };
    const address = await store.getRef(runRefs.rollouts(key));
    if (address !== undefined) {
      const batch = await store.getJson(address, RolloutBatch);
      rollouts.push({ step, groups: batch.groups, resumedGroups: batch.stats.resumedGroups });
    }
    for (const ref of await store.listRefs(runRefs.judgements(key))) {
      const { stats } = await store.getJson(ref.address, ShardJudgement);
      judge.shards++;
      judge.cacheHits += stats.judgeCacheHits;
      judge.cacheMisses += stats.judgeCacheMisses;
      judge.requests += stats.judgeRequests;
    }
  }
  // Commits announced, over every process of the run (the killed ones' lines included).
  const lines = options.supervisor.processes.flatMap((p) => p.process.lines);
  const counted = (msg: string, key: (l: Record<string, unknown>) => string) => {
    const counts: Record<string, number> = {};
    for (const l of lines) {
      if (l.msg !== msg || l.trainRunId !== trainRunId || (l.purpose ?? 'train') !== 'train') continue;
      counts[key(l)] = (counts[key(l)] ?? 0) + 1;
    }
    return counts;
  };
  const commitsLogged = {
    rollouts: counted('rollouts committed', (l) => `${l.step}`),
    judgements: counted('judgements committed', (l) => `${l.step}/${l.shard}`),
    updates: counted('policy update committed', (l) => `${l.step}`),
  };
  // Retries and lost workflow tasks, from the server's histories.
  const activityRetries: Record<string, number> = {};
  let workflowTaskTimeouts = 0;
  for (const { history } of await runHistories({
    client: options.client,
    trainRunId,
    firstRunId: options.firstRunId,
  })) {
    for (const a of historyActivities(history)) {
      if (a.attempt > 1) activityRetries[a.name] = (activityRetries[a.name] ?? 0) + a.attempt - 1;
    }
    for (const e of history.events ?? []) {
      if (e.workflowTaskTimedOutEventAttributes != null || e.workflowTaskFailedEventAttributes != null) {
        workflowTaskTimeouts++;
      }
    }
  }
  return {
    label: options.label,
    dir: options.dir,
    trainRunId,
    totalSteps,
    chain,
    rollouts,
    judge,
    commitsLogged,
    activityRetries,
    workflowTaskTimeouts,
  };
}

/** Each worker process's log lines, one JSON file per process under `<dir>/worker-logs/`. */
async function writeWorkerLogs(options: { dir: string; supervisor: WorkerSupervisor }): Promise<void> {
  const folder = join(options.dir, 'worker-logs');
  await mkdir(folder, { recursive: true });
  for (const [i, { role, process }] of options.supervisor.processes.entries()) {
    const text = process.lines.map((l) => JSON.stringify(l)).join('\n');
    await writeFile(join(folder, `${String(i + 1).padStart(2, '0')}-${role}.jsonl`), `${text}\n`);
  }
}
