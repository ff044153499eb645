/**
 * The Llama-family model on the graph builder and the graphs the engine runs:
 * - `buildGenerationGraph`: prefill/decode step with a KV cache (GENERATION_IO names);
 * - `buildLogprobGraph`: per-token log-probs and entropies (LOGPROB_IO names);
 * - `buildTrainingGraph`: policy objective, gradients of LoRA (or all) weights, metrics (TRAINING_IO).
 * Base weights come from `loadWeights({ source })`; LoRA tensors are graph inputs (see lora.ts).
 */
export { buildGenerationGraph, GENERATION_IO, type GenerationGraphOptions } from './generation-graph.ts';
export { describeInputs, describeOutputs, type GraphInputSpec } from './io.ts';
export { buildLogprobGraph, LOGPROB_IO, type LogprobGraphOptions } from './logprob-graph.ts';
export {
  initLora,
  LORA_TARGETS,
  type LoraConfig,
  LoraConfigSchema,
  type LoraSlot,
  loraFactor,
  loraSlots,
  loraTargetWeight,
} from './lora.ts';
export { type KvPair, type LlamaContext, llamaForward, llamaLogits } from './model.ts';
export {
  buildTrainingGraph,
  TRAINING_IO,
  type TrainingGraph,
  type TrainingGraphOptions,
} from './training-graph.ts';
export { type FloatType, loadWeights, type WeightTensors } from './weights.ts';
