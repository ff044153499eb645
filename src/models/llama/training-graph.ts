import { grad } from '../../graph/autodiff.ts';
import { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import {
  buildPolicyObjective,
  METRIC_NAMES,
  objectiveHyperparameters,
  type PolicyObjective,
  PolicyObjectiveSchema,
} from '../../rl/losses/objective.ts';
import { ValidationError } from '../../util/errors.ts';
import type { LlamaConfig } from '../config.ts';
import type { LoraConfig } from './lora.ts';
import { bindLora, type LlamaContext, llamaForward } from './model.ts';
import { tokenLogprobs } from './token-logprobs.ts';
import { type FloatType, frozenWeights, inputWeights, type WeightTensors } from './weights.ts';

/**
 * The training graph: the policy objective over response tokens and its gradients with respect to
 * the trainable tensors, all emitted as ordinary ONNX ops by our autodiff. The model is built from
 * primitives (the fused ORT ops have no gradient rules).
 *
 * Inputs
 *   input_ids      int64 [B, T]    prompt + response, padded on either side
 *   attention_mask int64 [B, T]    1 = real token
 *   loss_mask      float [B, T]    1 on response tokens (the tokens the loss covers)
 *   old_logprobs   float [B, T]    log-probs under the rollout policy, aligned with tokens
 *   ref_logprobs   float [B, T]    log-probs under the reference model (LoRA off)
 *   advantages     float [B] (per sequence, default) or [B, T] (per token)
 *   temperature    float []        the sampling temperature the log-probs are taken at
 *   the loss's clip range (clip_low, clip_high; gspo_clip_low, gspo_clip_high for gspo), kl_coef
 *   (and entropy_coef with an entropy bonus)   float []
 *   trainable = 'lora': lora_scale [] (feed 1) and {w}.lora_a [r, in], {w}.lora_b [out, r];
 *   trainable = 'full': every base weight under its canonical name (no initializers).
 * Outputs
 *   loss [], grad.{name} for each trainable input (same shape), logprobs [B, T], entropies [B, T],
 *   and the metrics of `METRIC_NAMES` ('policy/clip_fraction', 'kl/ref', ...) as [] outputs.
 */
export interface TrainingGraphOptions {
  config: LlamaConfig;
  /** Frozen base weights (needed with trainable = 'lora'). */
  weights?: WeightTensors;
  trainable?: 'lora' | 'full';
  lora?: LoraConfig;
  objective?: Partial<PolicyObjective>;
  advantages?: 'sequence' | 'token';
  dtype?: FloatType;
  /**
   * Where the output head runs: 'all' positions (default; logprobs/entropies outputs are filled
   * everywhere), or only where `loss_mask` is not 0 ('loss-mask': the outputs hold 0 elsewhere,
   * loss and gradients are the same, and the [rows, vocabulary] work shrinks to the response).
   */
  scoredPositions?: 'all' | 'loss-mask';
}

export const TRAINING_IO = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  lossMask: 'loss_mask',
  oldLogprobs: 'old_logprobs',
  refLogprobs: 'ref_logprobs',
  advantages: 'advantages',
  temperature: 'temperature',
  loraScale: 'lora_scale',
  loss: 'loss',
  logprobs: 'logprobs',
  entropies: 'entropies',
  grad: (name: string) => `grad.${name}`,
} as const;

export interface TrainingGraph {
  graph: GraphBuilder;
  /** Names of the trainable inputs, in order; each has an output `grad.{name}`. */
  trainable: string[];
  /** Names of the scalar hyperparameter inputs with their defaults. */
  hyperparameters: { name: string; defaultValue: number }[];
  /** Metric output names. */
  metrics: readonly string[];
}

export function buildTrainingGraph(options: TrainingGraphOptions): TrainingGraph {
  const { config } = options;
  const dtype = options.dtype ?? 'float32';
  const trainable = options.trainable ?? 'lora';
  const objective = PolicyObjectiveSchema.parse(options.objective ?? {});
  const g = new GraphBuilder({ name: 'llama_training' });
  const input = (name: string, shape: (string | number)[], type: 'int64' | FloatType = dtype) =>
    g.input({ name, dtype: type, shape });
  const inputIds = input(TRAINING_IO.inputIds, ['B', 'T'], 'int64');
  const attentionMask = input(TRAINING_IO.attentionMask, ['B', 'T'], 'int64');
  const mask = input(TRAINING_IO.lossMask, ['B', 'T']);
  const oldLogprobs = input(TRAINING_IO.oldLogprobs, ['B', 'T']);
  const refLogprobs = input(TRAINING_IO.refLogprobs, ['B', 'T']);
  const perToken = options.advantages === 'token';
  const advantagesIn = input(TRAINING_IO.advantages, perToken ? ['B', 'T'] : ['B']);
  const advantages = perToken ? advantagesIn : g.unsqueeze(advantagesIn, [1]); // [B, T] or [B, 1]
  const temperature = input(TRAINING_IO.temperature, []);
  const hyperparameters = objectiveHyperparameters(objective);
  const hyper: Record<string, Value> = {};
  for (const h of hyperparameters) hyper[h.name] = input(h.name, []);

  let ctx: LlamaContext;
  let wrt: Value[];
  if (trainable === 'lora') {
    if (options.lora === undefined || options.weights === undefined) {
      throw new ValidationError('training graph: trainable = lora needs `lora` and the frozen `weights`');
    }
    const lora = bindLora({ g, config, lora: options.lora, dtype });
    const weights = frozenWeights({ g, config, tensors: options.weights, dtype });
    ctx = { g, config, dtype, weights, lora, fused: false };
    wrt = [...lora.inputs];
  } else {
    const weights = inputWeights({ g, config, dtype });
    ctx = { g, config, dtype, weights, fused: false };
    wrt = [];
  }
  const { hidden } = llamaForward(ctx, { inputIds, attentionMask }); // [B, T, C]
  const { logprobs, entropies } = tokenLogprobs(ctx, {
    hidden,
    inputIds,
    temperature,
    ...(options.scoredPositions === 'loss-mask' ? { lossMask: mask } : {}),
  }); // [B, T]
  const { loss, metrics } = buildPolicyObjective({
    g,
    objective,
    hyper,
    tensors: { logprobs, oldLogprobs, refLogprobs, advantages, mask, entropies },
  });
  // Full fine-tuning: every weight the forward pass touched is an input by now.
  if (trainable === 'full') wrt = [...ctx.weights.inputs.values()];
  const grads = grad({ graph: g, loss, wrt });
  g.output(loss, TRAINING_IO.loss);
  wrt.forEach((w, i) => {
    g.output(grads[i] as Value, TRAINING_IO.grad(w.name));
  });
  g.output(logprobs, TRAINING_IO.logprobs);
  g.output(entropies, TRAINING_IO.entropies);
  for (const name of METRIC_NAMES) g.output(metrics[name], name);
  return {
    graph: g,
    trainable: wrt.map((w) => w.name),
    hyperparameters: hyperparameters.map((h) => ({ name: h.name, defaultValue: h.defaultValue })),
    metrics: METRIC_NAMES,
  };
}
