import type { LoraState } from '../engine/lora-state.ts';
import type { ModelSource } from '../models/config.ts';
import { loraFactor, loraSlots } from '../models/llama/lora.ts';
import { mergeLora } from '../models/llama/merge-lora.ts';

/**
 * The base weights with the adapters folded in, one weight at a time by canonical name, in our
 * row order (the source's): W + (alpha/rank)·B·A for an adapted projection, W itself otherwise.
 */
export function mergedWeights(options: {
  source: ModelSource;
  lora: LoraState;
}): (name: string) => Promise<Float32Array> {
  const { source, lora } = options;
  const slots = new Map(loraSlots({ config: source.config, lora: lora.config }).map((s) => [s.weight, s]));
  const factor = loraFactor(lora.config);
  return async (name) => {
    const weight = await source.loadWeight(name);
    const slot = slots.get(name);
    if (slot === undefined) return weight;
    return mergeLora({
      weight,
      a: lora.tensors.get(slot.aName) as Float32Array,
      b: lora.tensors.get(slot.bName) as Float32Array,
      shape: [slot.bShape[0], slot.aShape[1]],
      rank: lora.config.rank,
      factor,
    });
  };
}
