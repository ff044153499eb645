import { type TrainableState, trainableKind } from '../engine/trainable.ts';
import type { ModelSource } from '../models/config.ts';

/**
 * The model's weights as the checkpoint trained them, one weight at a time by canonical name, in
 * our row order (the source's): with LoRA, W + (alpha/rank)·B·A for an adapted projection and W
 * itself otherwise; with full fine-tuning, the trained weight (see `TrainableKind.mergedWeight`).
 */
export function mergedWeights(options: {
  source: ModelSource;
  trainable: TrainableState;
}): (name: string) => Promise<Float32Array> {
  const { source, trainable } = options;
  const kind = trainableKind(trainable);
  return (name) =>
    kind.mergedWeight(trainable, { config: source.config, name, base: () => source.loadWeight(name) });
}
