import type { Command } from 'commander';
import { z } from 'zod';
import { formatRetry, retriesInFlight } from '../../client/activity-retries.ts';
import { queryProgress, runHandle, signalRun, webUiUrl } from '../../client/run-client.ts';
import { storeLocationFor } from '../../config/store-env.ts';
import { describeStages, runDetails } from '../../contracts/run-details.ts';
import { TRAINING_WORKFLOW } from '../../contracts/workflow-types.ts';
import { isRlOverrideKey, RL_OVERRIDE_KEYS, type RlOverrides } from '../../contracts/rl-overrides.ts';
import { openStore } from '../../store/open-store.ts';
import { connectClient, type TemporalClient } from '../../temporal/connection.ts';
import { MEAN_REWARD, MODEL_NAME, TRAIN_STAGE, TRAIN_STEP } from '../../contracts/search-attributes.ts';
import { readMetrics } from '../../train/read-metrics.ts';
import { ValidationError } from '../../util/errors.ts';
import type { CliCommand } from '../command.ts';
import { numberFlag, out } from '../io.ts';
import { printSuiteTable } from './suite-table.ts';
import { printRewardTable } from './train.ts';

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined ? 'n/a' : v.toFixed(digits);

async function withClient<T>(use: (temporal: TemporalClient) => Promise<T>): Promise<T> {
  const temporal = await connectClient();
  try {
    return await use(temporal);
  } finally {
    await temporal.close();
  }
}

/** `--set name=value` pairs as RL overrides; names and numbers are checked here. */
export function parseOverrides(pairs: readonly string[]): RlOverrides {
  const out: RlOverrides = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(pair);
    const name = m?.[1];
    if (m === null || name === undefined || !isRlOverrideKey(name)) {
      throw new ValidationError(
        `--set: expected name=value with a name from ${RL_OVERRIDE_KEYS.join(', ')}, got '${pair}'`,
      );
    }
    out[name] = numberFlag(m[2]!, `--set ${name}`, { min: 0 });
  }
  return out;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `anchorage runs`, `status`, `pause`, `resume`, `stop`: training runs on the Temporal server. */
export const runsCommand: CliCommand = {
  name: 'runs',
  register(program: Command) {
    program
      .command('runs')
      .description('list training runs on the Temporal server (TEMPORAL_ADDRESS) with their step and reward')
      .option('--limit <n>', 'most runs to list', '20')
      .action(async (raw: unknown) => {
        const { limit } = z.object({ limit: z.string() }).parse(raw);
        const most = numberFlag(limit, '--limit', { min: 1, integer: true });
        await withClient(async ({ client, address, namespace }) => {
          const rows: string[] = [];
          for await (const w of client.workflow.list({ query: `WorkflowType = '${TRAINING_WORKFLOW}'` })) {
            // Continue-as-new leaves one closed execution per segment; the open one speaks for the run.
            if (w.status.name === 'CONTINUED_AS_NEW') continue;
            const sa = w.typedSearchAttributes;
            rows.push(
              [
                w.workflowId.padEnd(36),
                w.status.name.padEnd(10),
                String(sa.get(TRAIN_STEP) ?? 0).padStart(5),
                fmt(sa.get(MEAN_REWARD)).padStart(8),
                (sa.get(TRAIN_STAGE) ?? '').padEnd(10),
                sa.get(MODEL_NAME) ?? '',
                w.startTime.toISOString(),
              ].join('  '),
            );
            if (rows.length >= most) break;
          }
          if (rows.length === 0) {
            out(`no training runs on ${address} (namespace ${namespace})`);
            return;
          }
          out(
            `${'train run id'.padEnd(36)}  ${'status'.padEnd(10)}  ${'step'.padStart(5)}  ${'reward'.padStart(8)}  ${'stage'.padEnd(10)}  model  started`,
          );
          for (const row of rows) out(row);
        });
      });

    program
      .command('status <run>')
      .description(
        'a training run: status, step, reward, KL, last checkpoint, failure, reward per step, evaluation suites',
      )
      .option(
        '--store <dir|url>',
        'artifact store with the run, a folder or s3://<bucket>/<prefix> (default: ANCHORAGE_STORE_URL, else ANCHORAGE_STORE_DIR or <data dir>/store)',
      )
      .action(async (run: string, raw: unknown) => {
        const { store } = z.object({ store: z.string().optional() }).parse(raw);
        await withClient(async ({ client, address, namespace }) => {
          const described = await runHandle(client, run).describe();
          out(`${run}: ${described.status.name} (workflow ${described.type}, run ${described.runId})`);
          const ui = webUiUrl({ address, namespace, workflowId: run });
          if (ui !== undefined) out(`Web UI: ${ui}`);
          if (described.status.name === 'COMPLETED') {
            const result = await runHandle(client, run).result();
            out(
              `${result.status}: ${result.completedSteps} steps, mean reward of the last ${fmt(result.last?.meanReward)}, last checkpoint ${result.lastCheckpoint?.address ?? 'none'}`,
            );
            if (result.stages !== undefined) out(describeStages(result.stages));
          } else if (described.status.name === 'RUNNING') {
            try {
              const progress = await client.connection.withDeadline(Date.now() + 5_000, () =>
                queryProgress(client, run),
              );
              for (const line of runDetails(progress).split('\n\n')) out(line.replaceAll('**', ''));
            } catch {
              const sa = described.typedSearchAttributes;
              out(
                `step ${sa.get(TRAIN_STEP) ?? 0}, mean reward ${fmt(sa.get(MEAN_REWARD))} (no worker answered the progress query: none is running, or all are busy)`,
              );
            }
            // A retry in flight says a worker was lost or an attempt failed, even while progress looks fine.
            const retries = await retriesInFlight({ client, workflowId: run }).catch(() => []);
            for (const retry of retries) out(formatRetry(retry));
          }
          const lines = await readMetrics({
            store: openStore(storeLocationFor({ flag: store })),
            trainRunId: run,
          }).catch(() => []);
          printRewardTable({ lines, print: out });
          printSuiteTable({ lines, print: out });
        });
      });

    for (const [name, description] of [
      ['pause', 'pause a run after its current step (the checkpoint is committed first)'],
      ['stop', 'stop a run after its current step, which commits its checkpoint'],
    ] as const) {
      program
        .command(`${name} <run>`)
        .description(description)
        .action(async (run: string) =>
          withClient(async ({ client }) => {
            await signalRun[name](client, run);
            out(`${name} sent to ${run}`);
          }),
        );
    }

    program
      .command('resume <run>')
      .description('resume a paused run, or run a failed step again; --set changes RL settings from then on')
      .option('--set <name=value>', RL_OVERRIDE_KEYS.join(', '), collect, [])
      .action(async (run: string, raw: unknown) => {
        const { set } = z.object({ set: z.array(z.string()) }).parse(raw);
        const overrides = parseOverrides(set);
        await withClient(async ({ client }) => {
          await signalRun.resume(client, run, { overrides });
          out(`resume sent to ${run}${set.length === 0 ? '' : ` with ${JSON.stringify(overrides)}`}`);
        });
      });
  },
};
