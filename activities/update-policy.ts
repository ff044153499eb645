import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { RlSettings } from '../src/config/rl.ts';
import type { RlOverrides } from '../src/contracts/rl-overrides.ts';
import type { TrainSequence, TrainStepResult } from '../src/engine/train-step.ts';
import { LoraConfigSchema } from '../src/models/llama/lora.ts';
import { objectiveHyperparameters, type PolicyObjective } from '../src/rl/losses/objective.ts';
import { combineMiniBatches, type MiniBatchOutcome, splitMiniBatches } from '../src/rl/mini-batches.ts';
import { NonFiniteError } from '../src/rl/optim/non-finite.ts';
import { entersLoss } from '../src/rl/overlong.ts';
import { ADAPTER_FILE } from '../src/engine/checkpoint.ts';
import {
  AdapterMismatchError,
  adapterAddress,
  putCheckpoint,
  StoredCheckpoint,
  type UpdateRecord,
} from '../src/train/checkpoint-store.ts';
import { commitOnce } from '../src/step/commit.ts';
import type { UpdateSummary } from '../src/train/metrics.ts';
import { RewardsRecord } from '../src/train/rewards.ts';
import { recordRefusal } from '../src/step/refusals.ts';
import { readRolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { ValidationError } from '../src/util/errors.ts';
import { failpoint } from '../src/util/failpoints.ts';
import { formatFieldPath } from '../src/util/field-path.ts';
import type { UpdateProgress } from '../src/contracts/activity-progress.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating } from './heartbeat.ts';
import type { UpdatePolicyInput, UpdatePolicyOutput } from './types.ts';

function summaryOf(update: UpdateRecord): UpdateSummary {
  return {
    applied: update.applied,
    learningRate: update.learningRate,
    metrics: update.metrics,
    sequences: update.sequences,
    tokens: update.tokens,
    ms: update.ms,
  };
}

/** The stage's RL settings with a run's overrides, validated like the configuration. */
export function effectiveRl(base: RlSettings, overrides: RlOverrides): RlSettings {
  const parsed = RlSettings.safeParse({ ...base, ...overrides });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`RL override: ${issue.message}`, {
      location: { field: formatFieldPath(issue.path as PropertyKey[]) || '(overrides)' },
    });
  }
  return parsed.data;
}

/** Scalar inputs of the objective's graph, from the RL settings. */
function hyperparameters(objective: PolicyObjective, rl: RlSettings): Record<string, number> {
  const values: Record<string, number> = {
    clip_low: rl.clipLow,
    clip_high: rl.clipHigh,
    gspo_clip_low: rl.gspoClipLow,
    gspo_clip_high: rl.gspoClipHigh,
    kl_coef: rl.klCoefficient,
    entropy_coef: rl.entropyCoefficient,
  };
  const out: Record<string, number> = {};
  for (const h of objectiveHyperparameters(objective)) out[h.name] = values[h.name] ?? h.defaultValue;
  return out;
}

/**
 * Overlong handling's metrics, where it is on: `overlong/masked` (truncated answers left out of
 * the loss), `overlong/penalized` (responses with a non-zero length penalty) and
 * `overlong/penalty_mean` (the mean penalty over the step's scored responses).
 */
function overlongMetrics(options: {
  rewards: RewardsRecord;
  rl: RlSettings;
  truncatedMasked: number;
}): Record<string, number> {
  const out: Record<string, number> = {};
  if (options.rl.maskTruncated) out['overlong/masked'] = options.truncatedMasked;
  const penalties = options.rewards.samples.flatMap((s) =>
    s.reward === null || s.lengthPenalty === undefined ? [] : [s.lengthPenalty],
  );
  if (penalties.length > 0) {
    out['overlong/penalized'] = penalties.filter((p) => p !== 0).length;
    out['overlong/penalty_mean'] = penalties.reduce((a, b) => a + b, 0) / penalties.length;
  }
  return out;
}

/** The first adapter tensor holding a non-finite value, if any. */
function nonFiniteTensor(tensors: ReadonlyMap<string, Float32Array>): string | undefined {
  for (const [name, data] of tensors) {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return name;
  }
  return undefined;
}

/**
 * One policy update: the training graph's loss and gradients over the step's sequences that carry an
 * advantage, AdamW, and checkpoint `step` committed under its create-only ref. Idempotent: when the
 * ref exists (an earlier attempt committed), the committed checkpoint is returned and nothing is
 * trained, so an update is never applied twice. A non-finite loss, gradient or update fails the
 * step without retry; the adapters in memory are dropped and the parent checkpoint stays the latest.
 */
export function updatePolicyActivity(deps: ActivityDeps) {
  return function updatePolicy(input: UpdatePolicyInput): Promise<UpdatePolicyOutput> {
    return asActivity(async () => {
      const started = performance.now();
      const { store } = deps;
      const ref = runRefs.checkpoint(input.trainRunId, input.step);
      const log = deps.log.child({ trainRunId: input.trainRunId, step: input.step });
      const existing = await store.getRef(ref);
      if (existing !== undefined) {
        const record = await store.getJson(existing, StoredCheckpoint);
        if (record.parent !== input.parent) {
          throw new ValidationError(
            `checkpoint ${input.step} of ${input.trainRunId} was trained from ${record.parent ?? 'fresh adapters'}, not from ${input.parent ?? 'fresh adapters'}`,
          );
        }
        log.info({ checkpoint: existing }, 'checkpoint already committed; returning it');
        return { checkpoint: existing, created: false, summary: summaryOf(record.update) };
      }

      const run = await deps.loadRun(input.configAddress);
      const rl = effectiveRl(run.stageForStep(input.step).rl, input.overrides);
      const { batch, groups } = await readRolloutBatch({ store, address: input.rollouts });
      if (batch.checkpoint !== input.parent) {
        throw new ValidationError(
          `rollouts ${input.rollouts} were sampled from ${batch.checkpoint ?? 'fresh adapters'}, not from ${input.parent ?? 'fresh adapters'}`,
        );
      }
      const rewards = await store.getJson(input.rewards, RewardsRecord);
      const parentRecord =
        input.parent === null ? undefined : await store.getJson(input.parent, StoredCheckpoint);
      let truncatedMasked = 0;
      const sequences: TrainSequence[] = rewards.samples.flatMap((s) => {
        if (s.advantage === null) return [];
        const group = groups[s.group];
        const sample = group?.samples[s.sample];
        if (group === undefined || sample === undefined) {
          throw new ValidationError(
            `rewards ${input.rewards} name sample ${s.group}/${s.sample}, absent from the rollouts`,
          );
        }
        if (sample.tokenIds.length === 0) return [];
        if (!entersLoss({ finishReason: sample.finishReason, maskTruncated: rl.maskTruncated })) {
          truncatedMasked += 1;
          return [];
        }
        return [
          {
            promptIds: group.promptIds,
            responseIds: sample.tokenIds,
            oldLogprobs: sample.logprobs,
            advantage: s.advantage,
          },
        ];
      });
      const objective: PolicyObjective = {
        loss: rl.loss,
        aggregation: rl.lossAggregation,
        klEstimator: rl.klEstimator,
        entropyBonus: rl.entropyCoefficient > 0,
      };
      const lora = LoraConfigSchema.parse({
        rank: run.config.lora.rank,
        alpha: run.config.lora.alpha,
        targets: run.config.lora.targets,
      });
      const attempt = Context.current().info.attempt;
      let progress: UpdateProgress = {};
      const heartbeat = keepHeartbeating({ details: () => progress, everyMs: deps.heartbeatEveryMs });
      try {
        return await deps.policies.withPolicy(
          { model: run.config.model.path, lora, loraSeed: run.config.seed, checkpoint: input.parent, store },
          async (lease) => {
            const { policy } = lease;
            // The hash chain over the weights: the update starts from exactly the parent's adapters
            // (weights left over from an attempt that trained but did not commit would not match).
            const trainedFrom = adapterAddress(policy.lora!);
            const parentAdapter = parentRecord?.files[ADAPTER_FILE];
            if (parentAdapter !== undefined && parentAdapter !== trainedFrom) {
              lease.modifying();
              throw new AdapterMismatchError(
                `step ${input.step}: the adapters in memory (${trainedFrom}) are not those of checkpoint ${input.parent} (${parentAdapter}); the next attempt reloads them`,
              );
            }
            let result: MiniBatchOutcome | undefined;
            if (sequences.length > 0) {
              lease.modifying();
              const hyper = hyperparameters(objective, rl);
              const diagnostics = () => ({
                step: input.step,
                parent: input.parent,
                learningRate: rl.learningRate,
                hyperparameters: hyper,
                sequences: sequences.length,
                rewardMean: rewards.summary.mean,
                advantageRange: [
                  Math.min(...sequences.map((s) => s.advantage)),
                  Math.max(...sequences.map((s) => s.advantage)),
                ],
              });
              const refuse = async (message: string): Promise<never> => {
                const where = input.parent === null ? 'the fresh adapters' : `checkpoint ${input.parent}`;
                const full = `step ${input.step}: ${message}; nothing was committed and the policy stays at ${where}. Fix the cause (e.g. a smaller learning rate or KL coefficient, sent with \`anchorage resume <run> --set <name>=<value>\`) and the step runs again.`;
                log.warn({ ...diagnostics(), reason: message }, 'policy update refused');
                await recordRefusal({
                  store,
                  refusal: {
                    format: 'anchorage.refusal/1',
                    trainRunId: input.trainRunId,
                    step: input.step,
                    purpose: 'train',
                    kind: 'update',
                    message: full,
                    parent: input.parent,
                    at: new Date().toISOString(),
                    worker: deps.workerName,
                    diagnostics: diagnostics(),
                  },
                });
                throw ApplicationFailure.create({
                  type: 'NonFiniteError',
                  nonRetryable: true,
                  message: full,
                  details: [diagnostics()],
                });
              };
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
                      measureKl: deps.measureKl,
                      ...(deps.trainMicroBatch === undefined ? {} : { microBatchSize: deps.trainMicroBatch }),
                      onMicroBatch: (microBatches) => {
                        progress = {
                          microBatches: {
                            done: done.length * microBatches.total + microBatches.done,
                            total: parts.length * microBatches.total,
                          },
                        };
                      },
                    }),
                  );
                }
                result = combineMiniBatches(done);
              } catch (err) {
                if (err instanceof NonFiniteError) await refuse(err.message);
                throw err;
              }
              const bad = nonFiniteTensor(policy.lora!.tensors);
              if (bad !== undefined)
                await refuse(`the update made adapter '${bad}' non-finite (loss ${result.loss})`);
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
              attempt,
              worker: deps.workerName,
            };
            await failpoint('checkpoint.before-write', { step: input.step });
            const { address } = await putCheckpoint({
              store,
              trainRunId: input.trainRunId,
              step: input.step,
              parent: input.parent,
              trainedFrom,
              lora: policy.lora!,
              optimizer: policy.optimizer,
              optimizerSteps: policy.step,
              metadata: { trainRunId: input.trainRunId, step: String(input.step) },
              update,
            });
            await failpoint('checkpoint.written', { step: input.step });
            const committed = await commitOnce({ store, ref, address });
            if (committed.created) {
              lease.committed(address);
              log.info(
                {
                  checkpoint: address,
                  applied: update.applied,
                  loss: result?.loss,
                  attempt,
                  optimizerSteps: policy.step,
                },
                'policy update committed',
              );
              await failpoint('checkpoint.committed', { step: input.step });
              return { checkpoint: address, created: true, summary: summaryOf(update) };
            }
            // Another attempt committed first: its checkpoint is the step's result, ours is dropped.
            lease.modifying();
            const winner = await store.getJson(committed.address, StoredCheckpoint);
            return { checkpoint: committed.address, created: false, summary: summaryOf(winner.update) };
          },
        );
      } finally {
        heartbeat.stop();
      }
    });
  };
}
