/**
 * The policy engine: ONNX Runtime sessions in a worker thread, sampling, generation with a KV
 * cache, log-prob recomputation, train steps (LoRA or full fine-tuning) and checkpoints.
 * Activities use `Policy`:
 *
 *   const policy = await Policy.load({ model, checkpoint });                  // or lora: { rank }, or full: true
 *   const { results } = await policy.generate({ prompts, sampling, streams }); // rollout
 *   const ref = await policy.logprobs({ sequences, reference: true });         // scoring
 *   const step = await policy.trainStep({ sequences, optimizer: { lr } });     // trainer
 *   await policy.saveCheckpoint({ dir });
 *   await policy.close();
 */

export { NonFiniteError } from '../rl/optim/non-finite.ts';
export {
  ADAPTER_FILE,
  type CheckpointManifest,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  MANIFEST_FILE,
  OPTIMIZER_FILE,
  saveCheckpoint,
} from './checkpoint.ts';
export { EngineError } from './errors.ts';
export type { GenerationStats } from './generate.ts';
export { RemoteSession, SessionHost } from './host/session-host.ts';
export { type GenerationResult, Policy } from './policy.ts';
export { type Prompt, PromptSchema } from './prompts.ts';
export type { FinishedSequence, FinishReason } from './generation/generation-types.ts';
export {
  type SamplingParams,
  type SamplingParamsInput,
  SamplingParamsSchema,
} from './sampling/sampling-params.ts';
export type { PromptResponse } from './scored-batch.ts';
export type { TrainSequence, TrainStepResult } from './train-step.ts';
export { TRAINABLE_KINDS, type TrainableKindName, type TrainableState } from './trainable.ts';
