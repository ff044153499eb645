// The chaos benchmark, run by hand (not in CI, not part of `npm test`):
//
//   npx tsx scripts/chaos.ts --config <run.yaml> --seed <n> --kills 20 --server-restarts 2 --out chaos.json
//   npx tsx scripts/chaos.ts --tiny --seed 1 --kills 4 --server-restarts 1    # the tiny model: a check of the script
//
// Trains the configuration twice, each time on its own dev server (a SQLite file in a fresh temporary
// folder) with one worker process per queue: once undisturbed, then with the same seed while worker
// processes chosen by a seeded RNG are SIGKILLed at seeded times and restarted, and the dev server is
// SIGKILLed and restarted on the same SQLite file. Then it compares the two: steps lost, commits not
// made exactly once, updates applied twice (the checkpoints' hash chain), work read back rather than
// recomputed, the final adapters, and the wall time each disruption cost. Prints a table; `--out`
// writes the whole comparison as JSON. The pieces: workers/chaos/ (see workers/README.md).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { out } from '../src/cli/io.ts';
import { rootLogger } from '../src/util/logger.ts';
import { WORKER_ROLES } from '../src/contracts/task-queues.ts';
import { readRunConfigText } from '../src/config/load.ts';
import { writeTinyModel } from '../src/engine/testing/tiny-model.ts';
import { type ChainFault, DOUBLED_UPDATE_FAULTS } from '../src/train/checkpoint-chain.ts';
import type { ChatServer } from '../src/rubric/judge/test-server.ts';
import { startTinyJudge, writeTinyJudgeConfig } from '../src/train/testing/tiny-judge.ts';
import { TINY_WORKER_ENV, writeTinyRun } from '../src/train/testing/tiny-run.ts';
import { writeWorkflowBundle } from '../workers/bundle.ts';
import { chaosRun } from '../workers/chaos/chaos-run.ts';
import { type ChaosSummary, compareRuns, type RunObservation } from '../workers/chaos/compare.ts';
import { chaosSchedule, meanGapFor, targetName } from '../workers/chaos/schedule.ts';

const count = (flag: string) =>
  z.string().regex(/^\d+$/, `${flag}: expected an integer >= 0`).transform(Number);
const seconds = (flag: string) =>
  z
    .string()
    .transform(Number)
    .refine((n) => Number.isFinite(n) && n > 0, `${flag}: expected a number of seconds > 0`);

const Flags = z
  .strictObject({
    config: z.string().min(1).optional(),
    tiny: z.boolean().default(false),
    'tiny-steps': count('--tiny-steps').default(6),
    seed: count('--seed').default(1),
    kills: count('--kills').default(20),
    'server-restarts': count('--server-restarts').default(2),
    'mean-gap': seconds('--mean-gap').optional(),
    'heartbeat-timeout': seconds('--heartbeat-timeout').optional(),
    out: z.string().min(1).optional(),
    'reset-sticky': z.boolean().default(false),
    keep: z.boolean().default(false),
  })
  .refine((f) => (f.config === undefined) !== !f.tiny, {
    message: 'expected --config <run.yaml> or --tiny (one of them)',
  });
type Flags = z.infer<typeof Flags>;

const USAGE = `usage: npx tsx scripts/chaos.ts (--config <run.yaml> | --tiny [--tiny-steps 6]) [--seed 1]
  [--kills 20] [--server-restarts 2] [--mean-gap <s>] [--heartbeat-timeout <s>] [--reset-sticky]
  [--out <file.json>] [--keep]

  --mean-gap <s>           mean wait between disruptions (default: the undisturbed run's wall time
                           spread over the disruptions plus one); each wait is seeded, 0.25-1.75x it
  --heartbeat-timeout <s>  the runs' activity heartbeat timeout (default: the run default, 10 s;
                           with --tiny, 2 s): how soon an activity of a killed worker is retried
  --reset-sticky           after killing the orchestrator, reset the sticky task queues of the run's
                           workflows (as a supervisor that saw it die would); without it their next
                           workflow task waits out the 10 s sticky timeout
  --keep                   keep both runs' folders (SQLite file, store, worker logs)`;

function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      tiny: { type: 'boolean' },
      'tiny-steps': { type: 'string' },
      seed: { type: 'string' },
      kills: { type: 'string' },
      'server-restarts': { type: 'string' },
      'mean-gap': { type: 'string' },
      'heartbeat-timeout': { type: 'string' },
      out: { type: 'string' },
      'reset-sticky': { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    out(USAGE);
    process.exit(0);
  }
  const { help: _help, ...rest } = values;
  const parsed = Flags.safeParse(rest);
  if (!parsed.success) {
    throw new Error(`${parsed.error.issues.map((i) => i.message).join('; ')}\n${USAGE}`);
  }
  return parsed.data;
}

/** What the two runs train: a configuration file, or the tiny run with its judge in this process. */
interface Subject {
  file: string;
  text: string;
  workerEnv: Record<string, string>;
  judge: ChatServer | undefined;
  dispose(): Promise<void>;
}

async function subjectOf(flags: Flags, dir: string): Promise<Subject> {
  if (flags.config !== undefined) {
    const file = resolve(flags.config);
    return { file, text: readRunConfigText(file), workerEnv: {}, judge: undefined, dispose: async () => {} };
  }
  // The tiny run of the worker-process tests (test/temporal-crash.test.ts): the tiny model, twelve
  // prompts of four samples (up to 64 tokens) per step, a verifier rubric plus a judged criterion
  // graded over HTTP by a judge in this process.
  const model = await writeTinyModel({ seed: 5 });
  const judge = await startTinyJudge();
  const judgeConfig = await writeTinyJudgeConfig({
    file: join(dir, 'tiny', 'judge.json'),
    baseUrl: judge.baseUrl,
    // Each run gets its own copy with its own cache (workers/chaos/chaos-run.ts).
    cacheDir: join(dir, 'tiny', 'verdicts'),
  });
  const file = await writeTinyRun({
    dir: join(dir, 'tiny'),
    queuePrefix: 'chaos',
    modelPath: model.path,
    storeDir: join(dir, 'tiny', 'store'),
    steps: flags['tiny-steps'],
    prompts: 12,
    promptsPerStep: 12,
    maxNewTokens: 64,
    judgeConfig,
  });
  return {
    file,
    text: readRunConfigText(file),
    workerEnv: { ...TINY_WORKER_ENV },
    judge,
    async dispose() {
      await judge.close();
      await model.dispose();
    },
  };
}

const sec = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
const short = (address: string | null) => (address === null ? 'none' : `${address.slice(0, 19)}…`);
const retries = (r: Record<string, number>) =>
  Object.keys(r).length === 0
    ? '0'
    : `${Object.values(r).reduce((a, b) => a + b, 0)} (${Object.entries(r)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`;

/** `0`, or the items. */
const list = (items: ReadonlyArray<string | number>) => (items.length === 0 ? '0' : items.join('; '));
const missing = (faults: readonly ChainFault[]) =>
  faults.filter((f) => f.kind === 'missing-step').map((f) => f.step);
const doubled = (faults: readonly ChainFault[]) =>
  faults.filter((f) => DOUBLED_UPDATE_FAULTS.includes(f.kind)).map((f) => f.message);
const other = (faults: readonly ChainFault[]) =>
  faults
    .filter((f) => f.kind !== 'missing-step' && !DOUBLED_UPDATE_FAULTS.includes(f.kind))
    .map((f) => f.message);

/** The comparison as a table. */
function printTable(options: {
  summary: ChaosSummary;
  runs: { undisturbed: RunObservation; disturbed: RunObservation };
}): void {
  const { summary: s, runs } = options;
  const { undisturbed: u, disturbed: d } = runs;
  out();
  out(
    `disruptions: ${s.disruptions.done} of ${s.disruptions.planned} (${s.disruptions.kills} worker kills, ${s.disruptions.serverRestarts} server restarts)` +
      `${s.disruptions.unplannedExits > 0 ? `, ${s.disruptions.unplannedExits} unplanned worker exits` : ''}`,
  );
  out('   #  after     at        steps done  target               back in');
  for (const x of d.disruptions) {
    out(
      `  ${String(x.index).padStart(2)}  ${sec(x.delayMs).padEnd(8)}  ${sec(x.atMs).padEnd(8)}  ${String(x.stepsDone ?? '?').padEnd(10)}  ${x.target.padEnd(19)}  ${sec(x.recoveredMs)}`,
    );
  }
  const rows: Array<[string, string, string]> = [
    [
      'run status',
      `${u.status} (${u.completedSteps}/${u.totalSteps})`,
      `${d.status} (${d.completedSteps}/${d.totalSteps})`,
    ],
    ['wall time', sec(u.wallMs), sec(d.wallMs)],
    ['steps lost', list(missing(s.chainFaults.undisturbed)), list(s.stepsLost)],
    ['commits not exactly once', '', list(s.commitsNotOnce)],
    [
      'updates doubled (hash chain)',
      list(doubled(s.chainFaults.undisturbed)),
      list(s.updatesDoubled.map((f) => f.message)),
    ],
    ['other chain faults', list(other(s.chainFaults.undisturbed)), list(other(s.chainFaults.disturbed))],
    [
      'rollout groups read back',
      String(u.rollouts.reduce((n, r) => n + r.resumedGroups, 0)),
      String(s.recomputed.rolloutGroupsReadBack),
    ],
    [
      'updates redone (attempt > 1)',
      String(u.chain.filter((l) => l.updateAttempt > 1).length),
      String(s.recomputed.updatesRedone),
    ],
    ['activity retries', retries(u.activityRetries), retries(s.recomputed.activityRetries)],
    ['workflow tasks lost', String(u.workflowTaskTimeouts), String(s.recomputed.workflowTaskTimeouts)],
    [
      'judge verdicts from cache',
      String(s.recomputed.judgeCacheHits.undisturbed),
      String(s.recomputed.judgeCacheHits.disturbed),
    ],
    [
      'judge requests',
      u.judgeServerRequests === null ? 'n/a' : String(u.judgeServerRequests),
      d.judgeServerRequests === null
        ? 'n/a'
        : `${d.judgeServerRequests} (${s.recomputed.verdictsGradedAgain} graded again)`,
    ],
    ['final adapter', short(s.adapters.finalAdapters.a), short(s.adapters.finalAdapters.b)],
    [
      'same adapters',
      '',
      s.adapters.finalEqual
        ? `yes, bitwise (all ${s.adapters.steps} steps)`
        : `no: first differs at step ${s.adapters.firstDifferentStep ?? '(final)'}; rollouts first differ at step ${s.adapters.rolloutsFirstDifferentStep ?? '(none)'}`,
    ],
    [
      'overhead',
      '',
      `${sec(s.wall.overheadMs)}, ${sec(s.wall.perDisruptionMs)} per disruption (${sec(s.wall.meanRecoveryMs)} mean restart)`,
    ],
  ];
  const width = Math.max(22, ...rows.map(([, a]) => a.length + 2));
  out();
  out(`${''.padEnd(30)}${'undisturbed'.padEnd(width)}disturbed`);
  for (const [name, a, b] of rows) out(`${name.padEnd(30)}${a.padEnd(width)}${b}`);
  out();
  out(s.guaranteesHeld ? 'guarantees held' : 'GUARANTEES BROKEN: see above');
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  // This process's own log lines (the workflow bundler's) only when they matter, unless asked for;
  // the worker processes log at info into memory whatever this says (workers/worker-process.ts).
  if (process.env.ANCHORAGE_LOG_LEVEL === undefined) rootLogger().level = 'warn';
  const say = (line: string) => process.stderr.write(`chaos: ${line}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'anchorage-chaos-'));
  let subject: Subject | undefined;
  try {
    subject = await subjectOf(flags, dir);
    const heartbeatTimeoutSeconds = flags['heartbeat-timeout'] ?? (flags.tiny ? 2 : undefined);
    say(`bundling the workflows once for every worker process`);
    const bundleFile = await writeWorkflowBundle(join(dir, 'workflows.js'));
    const judge = subject.judge;
    const common = {
      file: subject.file,
      text: subject.text,
      // The same run id in both: nothing may depend on it, and then nothing can.
      trainRunId: `chaos-${flags.seed}`,
      bundleFile,
      workerEnv: subject.workerEnv,
      ...(heartbeatTimeoutSeconds === undefined ? {} : { heartbeatTimeoutSeconds }),
      ...(judge === undefined ? {} : { judgeRequests: () => judge.requests.length }),
      resetSticky: flags['reset-sticky'],
      keep: flags.keep,
      say,
    };
    const undisturbed = await chaosRun({ ...common, label: 'undisturbed', schedule: [] });
    const disruptions = flags.kills + flags['server-restarts'];
    const meanGapMs =
      flags['mean-gap'] === undefined
        ? meanGapFor({ wallMs: undisturbed.wallMs, disruptions })
        : flags['mean-gap'] * 1000;
    const schedule = chaosSchedule({
      seed: flags.seed,
      kills: flags.kills,
      serverRestarts: flags['server-restarts'],
      roles: WORKER_ROLES,
      meanGapMs,
    });
    say(
      `schedule (seed ${flags.seed}, mean gap ${sec(meanGapMs)}): ${schedule.map((x) => `${sec(x.delayMs)} ${targetName(x.target)}`).join(', ')}`,
    );
    const disturbed = await chaosRun({ ...common, label: 'disturbed', schedule });
    const summary = compareRuns({ undisturbed, disturbed, planned: schedule.length });
    out(
      `chaos: ${flags.config ?? `tiny run (${flags['tiny-steps']} steps)`}, seed ${flags.seed}, ${flags.kills} kills, ${flags['server-restarts']} server restarts, mean gap ${sec(meanGapMs)}, heartbeat timeout ${heartbeatTimeoutSeconds === undefined ? 'the default' : `${heartbeatTimeoutSeconds} s`}${flags['reset-sticky'] ? ', sticky queues reset after an orchestrator kill' : ''}`,
    );
    printTable({ summary, runs: { undisturbed, disturbed } });
    if (summary.disruptions.done < summary.disruptions.planned) {
      out(
        `only ${summary.disruptions.done} of ${summary.disruptions.planned} disruptions: the run ended first (a shorter --mean-gap, or more steps)`,
      );
    }
    if (flags.out !== undefined) {
      const report = {
        benchmark: 'chaos',
        config: flags.config ?? 'tiny',
        seed: flags.seed,
        kills: flags.kills,
        serverRestarts: flags['server-restarts'],
        meanGapMs,
        heartbeatTimeoutSeconds: heartbeatTimeoutSeconds ?? null,
        resetSticky: flags['reset-sticky'],
        schedule,
        summary,
        runs: { undisturbed, disturbed },
      };
      await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
      say(`summary written to ${flags.out}`);
    }
    if (flags.keep) say(`kept: ${undisturbed.dir} ${disturbed.dir}`);
    if (!summary.guaranteesHeld || summary.disruptions.done < summary.disruptions.planned)
      process.exitCode = 1;
  } finally {
    await subject?.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
