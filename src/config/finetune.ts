import { z } from 'zod';

/**
 * What a run trains: `lora` (default; adapters with the top-level `lora` settings beside the frozen
 * model) or `full` (every weight of the model, dequantised to float32 from the model file: the
 * embedding, norms, projections, biases and an untied head; the optimizer keeps two moments per
 * weight, so a 135M model needs about 2 GB for weights and optimizer state). Both train through
 * the same training graph and step; a full checkpoint stores every weight. The names are the
 * engine's trainable kinds (src/engine/trainable.ts).
 */
export const FINETUNE_MODES = ['lora', 'full'] as const;

export const FinetuneSettings = z.strictObject({
  mode: z
    .enum(FINETUNE_MODES, { error: `a fine-tuning mode: ${FINETUNE_MODES.join(' or ')}` })
    .default('lora'),
});
export type FinetuneSettings = z.infer<typeof FinetuneSettings>;
