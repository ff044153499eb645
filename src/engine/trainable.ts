import { z } from 'zod';
import type { HostTensor } from '../graph/tensor.ts';
import type { LlamaConfig } from '../models/config.ts';
import { type LoraConfig, LoraConfigSchema, loraFactor, loraSlots } from '../models/llama/lora.ts';
import { mergeLora } from '../models/llama/merge-lora.ts';
import type { WeightTensors } from '../models/llama/weights.ts';
import { UnknownNameError, ValidationError } from '../util/errors.ts';
import {
  type FullState,
  fullStateFrom,
  fullStateOf,
  fullWeightTensors,
  parameterCount,
} from './full-state.ts';
import { initLoraState, type LoraState, loraFeeds, loraStateFrom } from './lora-state.ts';

/**
 * What a policy trains, by kind: LoRA adapters beside the frozen model, or the model's weights
 * themselves (full fine-tuning). Either is a set of named float32 tensors that the training graph
 * takes as inputs and returns a gradient for, and that AdamW updates in place; the kinds differ in
 * how the graphs see them, which the registry below says once, so the train step, the sessions and
 * the checkpoint code have no branch per kind.
 */
export type TrainableState = LoraState | FullState;
export type TrainableKindName = TrainableState['kind'];

/** How the inference graphs (generation, scoring) of a policy see its trainable tensors. */
export interface InferenceView {
  /** The graphs' LoRA inputs (adapters bound from `feeds`, `lora_scale` 1 for the policy). */
  readonly lora?: LoraConfig;
  /** Initializers in place of the model file's weights (the fine-tuned weights). */
  readonly weights?: WeightTensors;
  /** Inputs bound to each inference session, again whenever the values change. */
  readonly feeds?: () => Record<string, HostTensor>;
  /** Changed values need new sessions (they are initializers), not a new binding. */
  readonly rebuildOnChange: boolean;
  /**
   * The reference model of the KL term: the same session at `lora_scale` 0, or a session on the
   * model file's weights.
   */
  readonly reference: 'lora-scale-0' | 'base-weights';
}

/**
 * What a fresh state starts from: the settings of every kind (each takes what it needs: LoRA its
 * config and seed, full fine-tuning the model file's weights).
 */
export interface TrainableInit {
  model: LlamaConfig;
  lora: LoraConfig;
  seed: number;
  /** The model file's weights, float32 (read when a kind needs them). */
  baseWeights: () => Promise<WeightTensors>;
  /** The model file, for messages. */
  source: string;
}

export interface TrainableKind<S extends TrainableState, M extends z.ZodType> {
  readonly name: S['kind'];
  readonly description: string;
  /** A fresh state: what training starts from. */
  init(options: TrainableInit): Promise<S>;
  /** Identifies what `init` gives for these settings (equal keys: equal fresh states). */
  initKey(options: Pick<TrainableInit, 'lora' | 'seed'>): string;
  /** What the structure of the policy's graphs depends on: another key builds new sessions. */
  graphKey(state: S): string;
  /** The training graph's options for it (`buildTrainingGraph`). */
  trainingGraph(state: S): { trainable: 'lora' | 'full'; lora?: LoraConfig };
  /**
   * What micro-batch gradients are summed in: float64 (then rounded once; LoRA) or float32 (each
   * sum rounded, as PyTorch accumulates; full fine-tuning, where a float64 copy of every weight's
   * gradient would cost 8 bytes per parameter). One micro-batch gives the same bits either way.
   */
  readonly gradientAccumulator: 'float64' | 'float32';
  /** The training session's inputs besides the batch (bound once per step). */
  trainFeeds(state: S): Record<string, HostTensor>;
  inference(state: S): InferenceView;
  /** What a checkpoint records about it: the manifest's section `name`, and the weight file's metadata. */
  readonly meta: M;
  metaOf(state: S): z.infer<M>;
  /** Restored from a checkpoint's weight file, checked against the model. */
  fromTensors(options: {
    model: LlamaConfig;
    meta: z.infer<M>;
    tensors: ReadonlyMap<string, Float32Array>;
    source: string;
  }): S;
  /**
   * The model's weight `name` as the trained policy has it (export: a merged model), from the model
   * file's weight `base` where the kind leaves it (LoRA adds (alpha/rank)·B·A to what it adapts).
   */
  mergedWeight(
    state: S,
    options: { config: LlamaConfig; name: string; base: () => Promise<Float32Array> },
  ): Promise<Float32Array>;
}

const LoraMeta = z.object({
  rank: z.number().int().positive(),
  alpha: z.number().positive(),
  targets: z.array(z.string()),
});

const FullMeta = z.object({
  /** Weight tensors and values trained (a check on the model the file belongs to). */
  tensors: z.number().int().positive(),
  parameters: z.number().int().positive(),
});

/** Identifies a LoRA config in graph keys: rank, alpha, targets (order-free). */
export function loraKey(lora: LoraConfig | undefined): string {
  return lora === undefined ? 'base' : JSON.stringify([lora.rank, lora.alpha, [...lora.targets].sort()]);
}

const LORA: TrainableKind<LoraState, typeof LoraMeta> = {
  name: 'lora',
  description: 'LoRA adapters (A, B per adapted projection) beside the frozen base weights',
  init: async ({ model, lora, seed }) => initLoraState({ model, lora, seed }),
  initKey: ({ lora, seed }) => `lora:${seed}:${JSON.stringify([lora.rank, lora.alpha, lora.targets])}`,
  graphKey: (state) => loraKey(state.config),
  trainingGraph: (state) => ({ trainable: 'lora', lora: state.config }),
  gradientAccumulator: 'float64',
  trainFeeds: (state) => loraFeeds(state, 1),
  inference: (state) => ({
    lora: state.config,
    feeds: () => loraFeeds(state),
    rebuildOnChange: false,
    reference: 'lora-scale-0',
  }),
  meta: LoraMeta,
  metaOf: (state) => ({
    rank: state.config.rank,
    alpha: state.config.alpha,
    targets: [...state.config.targets],
  }),
  fromTensors: ({ model, meta, tensors, source }) =>
    loraStateFrom({ model, lora: LoraConfigSchema.parse(meta), tensors, source }),
  mergedWeight: async (state, { config, name, base }) => {
    const slot = loraSlots({ config, lora: state.config }).find((s) => s.weight === name);
    if (slot === undefined) return base();
    return mergeLora({
      weight: await base(),
      a: state.tensors.get(slot.aName) as Float32Array,
      b: state.tensors.get(slot.bName) as Float32Array,
      shape: [slot.bShape[0], slot.aShape[1]],
      rank: state.config.rank,
      factor: loraFactor(state.config),
    });
  },
};

const FULL: TrainableKind<FullState, typeof FullMeta> = {
  name: 'full',
  description: 'full fine-tuning: every weight of the model (float32, dequantised from the model file)',
  init: async ({ model, baseWeights, source }) =>
    fullStateOf({ model, weights: await baseWeights(), source }),
  initKey: () => 'full',
  graphKey: () => 'full',
  trainingGraph: () => ({ trainable: 'full' }),
  gradientAccumulator: 'float32',
  trainFeeds: (state) => Object.fromEntries(fullWeightTensors(state)),
  inference: (state) => ({
    weights: fullWeightTensors(state),
    rebuildOnChange: true,
    reference: 'base-weights',
  }),
  meta: FullMeta,
  metaOf: (state) => ({ tensors: state.tensors.size, parameters: parameterCount(state) }),
  fromTensors: ({ model, meta, tensors, source }) => {
    const state = fullStateFrom({ model, tensors, source });
    if (parameterCount(state) !== meta.parameters) {
      throw new ValidationError(
        `expected ${meta.parameters} weight values, the file holds ${parameterCount(state)}`,
        {
          location: { file: source },
        },
      );
    }
    return state;
  },
  mergedWeight: async (state, { name, base }) => state.tensors.get(name) ?? base(),
};

/** Every kind by name. A kind's name is also its section in checkpoint manifests. */
export const TRAINABLE_KINDS = { lora: LORA, full: FULL } as const;

type KindOf<S extends TrainableState> = TrainableKind<S, z.ZodType<unknown>>;

/** The registry entry of a state. */
export function trainableKind<S extends TrainableState>(state: S): KindOf<S> {
  return TRAINABLE_KINDS[state.kind] as unknown as KindOf<S>;
}

/** The registry entry by name; an unknown name fails listing the known ones. */
export function trainableKindNamed(name: string): KindOf<TrainableState> {
  const kind = (TRAINABLE_KINDS as Record<string, unknown>)[name];
  if (kind === undefined) throw new UnknownNameError('trainable kind', name, Object.keys(TRAINABLE_KINDS));
  return kind as KindOf<TrainableState>;
}

/** The manifest sections of every kind, each optional (a manifest has exactly one). */
export const TRAINABLE_SECTIONS = {
  lora: LoraMeta.optional(),
  full: FullMeta.optional(),
} satisfies { [K in TrainableKindName]: z.ZodOptional<(typeof TRAINABLE_KINDS)[K]['meta']> };
