import { createRng } from '../graph/random.ts';
import type { HostTensor } from '../graph/tensor.ts';
import type { LlamaConfig } from '../models/config.ts';
import { initLora, type LoraConfig, loraSlots } from '../models/llama/lora.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * The trainable part of a policy: LoRA A/B matrices as float32 arrays keyed by their graph input
 * names (`blk.0.attn_q.lora_a`), with their shapes and the LoRA config they belong to. AdamW updates
 * the arrays in place; sessions receive them as inputs.
 */
export interface LoraState {
  readonly kind: 'lora';
  readonly config: LoraConfig;
  readonly tensors: Map<string, Float32Array>;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/** Expected input names and shapes for a model and LoRA config, in graph order. */
export function loraShapes(options: {
  model: LlamaConfig;
  lora: LoraConfig;
}): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  for (const slot of loraSlots({ config: options.model, lora: options.lora })) {
    shapes.set(slot.aName, slot.aShape);
    shapes.set(slot.bName, slot.bShape);
  }
  return shapes;
}

/** Fresh adapters (A random from `seed`, B zero: the policy starts as the base model). */
export function initLoraState(options: { model: LlamaConfig; lora: LoraConfig; seed: number }): LoraState {
  const init = initLora({ config: options.model, lora: options.lora, rng: createRng(options.seed) });
  const tensors = new Map<string, Float32Array>();
  for (const [name, t] of init) tensors.set(name, t.data as Float32Array);
  return { kind: 'lora', config: options.lora, tensors, shapes: loraShapes(options) };
}

/**
 * Adapters from stored tensors, checked against what the model and config need: every tensor
 * present, no extra ones, shapes equal. `source` names the file for error messages.
 */
export function loraStateFrom(options: {
  model: LlamaConfig;
  lora: LoraConfig;
  tensors: ReadonlyMap<string, Float32Array>;
  source: string;
}): LoraState {
  const shapes = loraShapes(options);
  const tensors = new Map<string, Float32Array>();
  for (const [name, shape] of shapes) {
    const data = options.tensors.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (data === undefined) {
      throw new ValidationError(`LoRA tensor '${name}' is missing`, { location: { file: options.source } });
    }
    if (data.length !== size) {
      throw new ValidationError(
        `LoRA tensor '${name}' has ${data.length} values, expected [${shape}] (${size})`,
        {
          location: { file: options.source, field: name },
        },
      );
    }
    tensors.set(name, data);
  }
  const extra = [...options.tensors.keys()].filter((n) => !shapes.has(n));
  if (extra.length > 0) {
    throw new ValidationError(`unexpected LoRA tensors for this model: ${extra.slice(0, 5).join(', ')}`, {
      location: { file: options.source },
    });
  }
  return { kind: 'lora', config: options.lora, tensors, shapes };
}

/** The adapters as session feeds (views on the same arrays: feed with copying, not transfer). */
export function loraFeeds(state: LoraState, scale = 1): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {
    lora_scale: { dtype: 'float32', dims: [], data: Float32Array.of(scale) },
  };
  for (const [name, data] of state.tensors) {
    feeds[name] = { dtype: 'float32', dims: state.shapes.get(name) as number[], data };
  }
  return feeds;
}

/** A deep copy. */
export function cloneLoraState(state: LoraState): LoraState {
  return {
    kind: 'lora',
    config: state.config,
    tensors: new Map([...state.tensors].map(([k, v]) => [k, v.slice()])),
    shapes: state.shapes,
  };
}
