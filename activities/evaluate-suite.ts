import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { EvaluationSuiteSettings } from '../src/config/schema.ts';
import { EVAL_FILES } from '../src/eval/eval-folder.ts';
import { runSuite, type SuiteResult } from '../src/eval/run-suite.ts';
import { Address } from '../src/store/address.ts';
import { commitOnce } from '../src/step/commit.ts';
import { evaluationSuite, SuiteResultRecord } from '../src/eval/run-suites.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { ValidationError } from '../src/util/errors.ts';
import type { SuiteProgress } from '../src/contracts/activity-progress.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating, throwIfCancelled } from './heartbeat.ts';
import type { RunContext } from '../src/step/run-context.ts';
import type { EvaluateSuiteInput, EvaluateSuiteOutput } from './types.ts';

/**
 * Runs one `anchorage eval` suite of the run's `evaluation.suites` on a checkpoint with this rollout
 * worker's policy (greedy answers, or the log-probs of fixed texts for a logprob suite such as
 * perplexity) and commits its result under `runs/<id>/evals/step-<n>/suites/<suite>` (create-only:
 * a later attempt that finds it returns it). The work goes to a folder under the worker's data
 * folder, `<data dir>/runs/<id>/evals/step-<n>/suites/<suite>/`, appended answer by answer: a
 * retried attempt (after a crash, a lost heartbeat or a shutdown) resumes there and never generates
 * a finished answer again. Heartbeats carry how many are done.
 */
export function evaluateSuiteActivity(deps: ActivityDeps) {
  return function evaluateSuite(input: EvaluateSuiteInput): Promise<EvaluateSuiteOutput> {
    return asActivity(async () => {
      const { store } = deps;
      const key = { trainRunId: input.trainRunId, step: input.step, suite: input.suite };
      const ref = runRefs.evalSuite(key);
      const checkpoint = input.checkpoint === null ? null : Address.parse(input.checkpoint);
      const existing = await store.getRef(ref);
      if (existing !== undefined) {
        const record = await store.getJson(existing, SuiteResultRecord);
        checkSameCheckpoint({ ref, record, checkpoint });
        return outputOf({ address: existing, record, reused: true });
      }

      const run = await deps.loadRun(input.configAddress, input.stageStarts);
      const settings = suiteSettings(run, input.suite);
      const suite = evaluationSuite(settings);
      const outDir = join(deps.dataDir, ...ref.split('/'));
      const log = deps.log.child({ trainRunId: input.trainRunId, step: input.step, suite: input.suite });
      let progress: { done: number; total: number } | undefined;
      const heartbeat = keepHeartbeating({
        details: (): SuiteProgress => ({ suite: input.suite, ...progress }),
        everyMs: deps.heartbeatEveryMs,
      });
      let ran: SuiteResult;
      try {
        ran = await deps.policies.withPolicy(
          {
            model: run.config.model.path,
            lora: run.lora,
            loraSeed: run.config.seed,
            finetune: run.finetune,
            checkpoint,
            store,
          },
          async ({ policy }) => {
            throwIfCancelled();
            return runSuite({
              policy,
              suite,
              model: run.config.model.path,
              // The checkpoint's address names it: a folder is resumed only for the same one.
              checkpoint,
              outDir,
              ...(settings.maxNewTokens === undefined ? {} : { maxNewTokens: settings.maxNewTokens }),
              ...(settings.chunkTokens === undefined ? {} : { chunkTokens: settings.chunkTokens }),
              ...(settings.limit === undefined ? {} : { limit: settings.limit }),
              // The rollout batch for answers; a logprob suite keeps its own micro-batch (its
              // logits are [micro-batch, chunk, vocabulary]).
              ...(suite.kind === 'generation' ? { batchSize: deps.rolloutBatch } : {}),
              signal: Context.current().cancellationSignal,
              onProgress: (p) => {
                const done = p.kind === 'generation' ? p.answered : p.done;
                const before = progress?.done;
                progress = { done, total: p.total };
                if (done !== before) heartbeat.now();
              },
            });
          },
        );
      } finally {
        heartbeat.stop();
      }
      const { result } = ran;
      const computed = ran.kind === 'generation' ? ran.result.generated : ran.result.scored;
      if (result.resumed > 0) log.info({ resumed: result.resumed, outDir }, 'evaluation suite resumed');

      const file = async (name: string) => (await store.putFile(join(outDir, name))).address;
      const record: SuiteResultRecord = {
        format: 'anchorage.eval-suite/1',
        trainRunId: input.trainRunId,
        step: input.step,
        suite: input.suite,
        kind: ran.kind,
        checkpoint,
        spec: { ...result.spec },
        // JSON has no NaN or Infinity: a number that is not finite is left out, never stored as 0.
        summary: Object.fromEntries(
          Object.entries(result.scores.summary).filter(([, v]) => Number.isFinite(v)),
        ),
        files: {
          work: await file(ran.kind === 'generation' ? EVAL_FILES.answers : EVAL_FILES.logprobs),
          results: await file(EVAL_FILES.results),
        },
        computed,
        resumed: result.resumed,
        seconds: result.seconds,
      };
      const committed = await commitOnce({ store, ref, address: (await store.putJson(record)).address });
      const kept = committed.created ? record : await store.getJson(committed.address, SuiteResultRecord);
      log.info(
        { computed, resumed: result.resumed, seconds: Math.round(result.seconds) },
        'evaluation suite committed',
      );
      return outputOf({ address: committed.address, record: kept, reused: !committed.created });
    });
  };
}

/** The run configuration's settings of a suite; a suite it does not name fails without retry. */
function suiteSettings(run: RunContext, name: string): EvaluationSuiteSettings {
  const settings = run.config.evaluation.suites.find((s) => s.name === name);
  if (settings === undefined) {
    const named = run.config.evaluation.suites.map((s) => s.name);
    throw new ValidationError(
      `the run's configuration names no evaluation suite '${name}' (evaluation.suites: ${named.join(', ') || 'none'})`,
    );
  }
  return settings;
}

function checkSameCheckpoint(options: {
  ref: string;
  record: SuiteResultRecord;
  checkpoint: string | null;
}): void {
  if (options.record.checkpoint !== options.checkpoint) {
    throw new ValidationError(
      `${options.ref} holds the evaluation of checkpoint ${options.record.checkpoint ?? 'none (base policy)'}, not of ${options.checkpoint ?? 'none (base policy)'}`,
    );
  }
}

function outputOf(options: {
  address: string;
  record: SuiteResultRecord;
  reused: boolean;
}): EvaluateSuiteOutput {
  const { record } = options;
  return {
    suite: record.suite,
    record: options.address,
    summary: record.summary,
    computed: record.computed,
    resumed: record.resumed,
    reused: options.reused,
  };
}
