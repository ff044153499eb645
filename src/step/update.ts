import type { Logger } from 'pino';
import type { RlSettings } from '../config/rl.ts';
import type { UpdateProgress } from '../contracts/activity-progress.ts';
import type { RlOverrides } from '../contracts/rl-overrides.ts';
import { ADAPTER_FILE } from '../engine/checkpoint.ts';
import type { Policy } from '../engine/policy.ts';
import type { TrainSequence, TrainStepResult } from '../engine/train-step.ts';
import { combineMiniBatches, type MiniBatchOutcome, splitMiniBatches } from '../rl/mini-batches.ts';
import { NonFiniteError } from '../rl/optim/non-finite.ts';
import type { ArtifactStore } from '../store/store.ts';
import {
  AdapterMismatchError,
  adapterAddress,
  putCheckpoint,
  StoredCheckpoint,
  type UpdateRecord,
} from '../train/checkpoint-store.ts';
import type { UpdateSummary } from '../train/metrics.ts';
import { RewardsRecord } from '../train/rewards.ts';
import { readRolloutBatch } from '../train/rollouts.ts';
import { NO_TELEMETRY, type TrainingTelemetry } from '../telemetry/training-telemetry.ts';
import { ValidationError } from '../util/errors.ts';
import { failpoint } from '../util/failpoints.ts';
import { COMMIT_POINTS, commit, findCommitted } from './commit.ts';
import type { PolicyProvider } from './policy-pool.ts';
import { recordRefusal } from './refusals.ts';
import type { RunContext } from './run-context.ts';
import {
  effectiveRl,
  hyperparameters,
  lossSequences,
  nonFiniteTensor,
  overlongMetrics,
  policyObjective,
  summaryOf,
} from './update-inputs.ts';

interface UpdateOptions {
  store: ArtifactStore;
  trainRunId: string;
  step: number;
  /** The checkpoint the step sampled from (null: fresh adapters). */
  parent: string | null;
  rollouts: string;
  rewards: string;
  overrides: RlOverrides;
  run: () => Promise<RunContext>;
  policies: PolicyProvider;
  log: Logger;
  workerName: string;
  attempt: number;
  /** Compute KL to the reference model even when its coefficient is 0. */
  measureKl: boolean;
  trainMicroBatch: number | undefined;
  progress: (progress: UpdateProgress) => void;
  /** Receives the phase's duration, KL and loss once checkpoint `step` is committed. */
  telemetry?: TrainingTelemetry;
}

/**
 * One policy update: the training graph's loss and gradients over the step's sequences that carry an
 * advantage, AdamW, and checkpoint `step` committed at `update`. Idempotent: when the checkpoint is
 * committed (by an earlier attempt) it is returned and nothing is trained, so an update is never
 * applied twice; the weights it starts from must be the parent's (a hash chain over the adapters).
 * A non-finite loss, gradient or update refuses the step (NonFiniteError, not retryable, and a
 * refusal record); the adapters in memory are dropped and the parent checkpoint stays the latest.
 */
export async function updatePolicy(
  options: UpdateOptions,
): Promise<{ checkpoint: string; created: boolean; summary: UpdateSummary }> {
  const started = performance.now();
  const { store, trainRunId, step, parent } = options;
  const key = { trainRunId, step };
  const log = options.log.child(key);
  const existing = await findCommitted({ store, point: COMMIT_POINTS.update, key });
  if (existing !== undefined) {
    if (existing.record.parent !== parent) {
      throw new ValidationError(
        `checkpoint ${step} of ${trainRunId} was trained from ${existing.record.parent ?? 'fresh adapters'}, not from ${parent ?? 'fresh adapters'}`,
      );
    }
    log.info({ checkpoint: existing.address }, 'checkpoint already committed; returning it');
    return { checkpoint: existing.address, created: false, summary: summaryOf(existing.record.update) };
  }
  const run = await options.run();
  const rl = effectiveRl(run.stageForStep(step).rl, options.overrides);
  const { batch, groups } = await readRolloutBatch({ store, address: options.rollouts });
  if (batch.checkpoint !== parent) {
    throw new ValidationError(
      `rollouts ${options.rollouts} were sampled from ${batch.checkpoint ?? 'fresh adapters'}, not from ${parent ?? 'fresh adapters'}`,
    );
  }
  const rewards = await store.getJson(options.rewards, RewardsRecord);
  const parentRecord = parent === null ? undefined : await store.getJson(parent, StoredCheckpoint);
  const { sequences, truncatedMasked } = lossSequences({
    rewards,
    rewardsAddress: options.rewards,
    groups,
    rl,
  });
  return await options.policies.withPolicy(
    {
      model: run.config.model.path,
      lora: run.lora,
      loraSeed: run.config.seed,
      finetune: run.finetune,
      checkpoint: parent,
      store,
    },
    async (lease) => {
      const { policy } = lease;
      // The hash chain over the weights: the update starts from exactly the parent's adapters
      // (weights left over from an attempt that trained but did not commit would not match).
      const trainedFrom = adapterAddress(policy.trainable!);
      const parentAdapter = parentRecord?.files[ADAPTER_FILE];
      if (parentAdapter !== undefined && parentAdapter !== trainedFrom) {
        lease.modifying();
        throw new AdapterMismatchError(
          `step ${step}: the adapters in memory (${trainedFrom}) are not those of checkpoint ${parent} (${parentAdapter}); the next attempt reloads them`,
        );
      }
      let result: MiniBatchOutcome | undefined;
      if (sequences.length > 0) {
        lease.modifying();
        result = await train({ ...options, policy, rl, sequences, rewardsRecord: rewards, log });
      }
      const update: UpdateRecord = {
        applied: result !== undefined,
        ...(result === undefined
          ? {
              reason:
                truncatedMasked > 0
                  ? `no response entered the loss (${truncatedMasked} truncated answers masked; the rest dropped or unscorable)`
                  : 'no response carried an advantage (all groups dropped or unscorable)',
            }
          : {}),
        learningRate: rl.learningRate,
        metrics: {
          ...(result?.metrics ?? {}),
          ...(result === undefined ? {} : { 'loss/total': result.loss }),
          ...overlongMetrics({ rewards, rl, truncatedMasked }),
        },
        sequences: sequences.length,
        tokens: result?.tokens ?? 0,
        ms: performance.now() - started,
        attempt: options.attempt,
        worker: options.workerName,
      };
      await failpoint('checkpoint.before-write', { step });
      const { address, record } = await putCheckpoint({
        store,
        trainRunId,
        step,
        parent,
        trainedFrom,
        trainable: policy.trainable!,
        optimizer: policy.optimizer,
        optimizerSteps: policy.step,
        metadata: { trainRunId, step: String(step) },
        update,
      });
      const committed = await commit({
        store,
        point: COMMIT_POINTS.update,
        key,
        address,
        record,
        announce: ({ created }) => {
          if (!created) return;
          lease.committed(address);
          log.info(
            {
              checkpoint: address,
              applied: update.applied,
              loss: result?.loss,
              attempt: options.attempt,
              optimizerSteps: policy.step,
            },
            'policy update committed',
          );
        },
      });
      if (!committed.created) {
        // Another attempt committed first: its checkpoint is the step's result, ours is dropped.
        lease.modifying();
        return { checkpoint: committed.address, created: false, summary: summaryOf(committed.record.update) };
      }
      const telemetry = options.telemetry ?? NO_TELEMETRY;
      telemetry.phase({ phase: 'update', purpose: 'train', ms: update.ms });
      telemetry.checkpoint({
        step,
        applied: update.applied,
        kl: update.metrics['kl/ref'],
        loss: update.metrics['loss/total'],
      });
      return { checkpoint: address, created: true, summary: summaryOf(update) };
    },
  );
}

/**
 * The training graph over the sequences, mini-batch by mini-batch, then AdamW. A non-finite loss,
 * gradient or updated adapter refuses the step: a refusal record, then NonFiniteError.
 */
async function train(
  options: UpdateOptions & {
    policy: Policy;
    rl: RlSettings;
    sequences: TrainSequence[];
    rewardsRecord: RewardsRecord;
    log: Logger;
  },
): Promise<MiniBatchOutcome> {
  const { policy, rl, sequences, step, parent } = options;
  const objective = policyObjective(rl);
  const hyper = hyperparameters(objective, rl);
  const diagnostics = () => ({
    step,
    parent,
    learningRate: rl.learningRate,
    hyperparameters: hyper,
    sequences: sequences.length,
    rewardMean: options.rewardsRecord.summary.mean,
    advantageRange: [
      Math.min(...sequences.map((s) => s.advantage)),
      Math.max(...sequences.map((s) => s.advantage)),
    ],
  });
  const refuse = async (message: string): Promise<never> => {
    const where = parent === null ? 'the fresh adapters' : `checkpoint ${parent}`;
    const full = `step ${step}: ${message}; nothing was committed and the policy stays at ${where}. Fix the cause (e.g. a smaller learning rate or KL coefficient, sent with \`anchorage resume <run> --set <name>=<value>\`) and the step runs again.`;
    options.log.warn({ ...diagnostics(), reason: message }, 'policy update refused');
    await recordRefusal({
      store: options.store,
      refusal: {
        format: 'anchorage.refusal/1',
        trainRunId: options.trainRunId,
        step,
        purpose: 'train',
        kind: 'update',
        message: full,
        parent,
        at: new Date().toISOString(),
        worker: options.workerName,
        diagnostics: diagnostics(),
      },
    });
    throw new NonFiniteError(full, { diagnostics: diagnostics() });
  };
  let result: MiniBatchOutcome;
  try {
    const parts = splitMiniBatches(sequences, rl.miniBatches);
    const done: TrainStepResult[] = [];
    for (const part of parts) {
      done.push(
        await policy.trainStep({
          sequences: part,
          objective,
          hyper,
          optimizer: { lr: rl.learningRate, weightDecay: rl.weightDecay },
          maxGradNorm: rl.maxGradNorm,
          measureKl: options.measureKl,
          ...(options.trainMicroBatch === undefined ? {} : { microBatchSize: options.trainMicroBatch }),
          onMicroBatch: (microBatches) =>
            options.progress({
              microBatches: {
                done: done.length * microBatches.total + microBatches.done,
                total: parts.length * microBatches.total,
              },
            }),
        }),
      );
    }
    result = combineMiniBatches(done);
  } catch (err) {
    if (err instanceof NonFiniteError) return await refuse(err.message);
    throw err;
  }
  const bad = nonFiniteTensor(policy.trainable!.tensors);
  if (bad !== undefined) await refuse(`the update made adapter '${bad}' non-finite (loss ${result.loss})`);
  return result;
}
