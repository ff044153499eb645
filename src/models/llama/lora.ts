import { z } from 'zod';
import type { Rng } from '../../graph/random.ts';
import { fromData, type HostTensor } from '../../graph/tensor.ts';
import { UnknownNameError } from '../../util/errors.ts';
import { expectedWeights, type LlamaConfig, layerWeightName } from '../config.ts';

/**
 * LoRA on the model's projections: W x becomes W x + s·(alpha/rank)·B (A x), with A [rank, in] and
 * B [out, rank] (the PEFT layout, so a checkpoint maps to PEFT by renaming) and s the graph's
 * `lora_scale` input (1 for the policy, 0 for the reference model: one session serves both).
 *
 * The A/B matrices are graph inputs, never initializers, so one ONNX session serves every policy
 * version. They are named after the weight they adapt: `blk.3.attn_q.lora_a`, `blk.3.attn_q.lora_b`;
 * training graphs return their gradients as `grad.blk.3.attn_q.lora_a` and so on.
 */
export const LORA_TARGETS = {
  q: 'attn_q',
  k: 'attn_k',
  v: 'attn_v',
  o: 'attn_output',
  gate: 'ffn_gate',
  up: 'ffn_up',
  down: 'ffn_down',
} as const;
export type LoraTarget = keyof typeof LORA_TARGETS;
const TARGET_NAMES = Object.keys(LORA_TARGETS) as LoraTarget[];

export const LoraConfigSchema = z.object({
  rank: z.number().int().positive().default(8),
  alpha: z.number().positive().default(16),
  /** Projections to adapt; default all attention and MLP projections. */
  targets: z
    .array(z.string())
    .default([...TARGET_NAMES])
    .superRefine((targets, ctx) => {
      for (const [i, t] of targets.entries()) {
        if (!(t in LORA_TARGETS)) {
          ctx.addIssue({
            code: 'custom',
            path: [i],
            message: `unknown LoRA target '${t}'; known: ${TARGET_NAMES.join(', ')}`,
          });
        }
      }
    })
    .transform((targets) => [...new Set(targets)] as LoraTarget[]),
});
export type LoraConfig = z.infer<typeof LoraConfigSchema>;

/** The canonical weight suffix a target adapts (`q` -> `attn_q`). */
export function loraTargetWeight(target: string): string {
  const suffix = (LORA_TARGETS as Record<string, string>)[target];
  if (suffix === undefined) throw new UnknownNameError('LoRA target', target, TARGET_NAMES);
  return suffix;
}

/** One adapted projection: the weight it adapts and its two graph inputs. */
export interface LoraSlot {
  /** Canonical name of the adapted weight, e.g. `blk.0.attn_q.weight`. */
  readonly weight: string;
  readonly aName: string;
  readonly bName: string;
  /** [rank, in] */
  readonly aShape: readonly [number, number];
  /** [out, rank] */
  readonly bShape: readonly [number, number];
}

/** Every LoRA input of a model with this config, in a stable order (layer, then target order). */
export function loraSlots(options: { config: LlamaConfig; lora: LoraConfig }): LoraSlot[] {
  const { config, lora } = options;
  const shapes = expectedWeights(config);
  const slots: LoraSlot[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const target of TARGET_NAMES) {
      if (!lora.targets.includes(target)) continue;
      const base = layerWeightName(layer, LORA_TARGETS[target]);
      const [out, inp] = shapes.get(`${base}.weight`) as [number, number];
      slots.push({
        weight: `${base}.weight`,
        aName: `${base}.lora_a`,
        bName: `${base}.lora_b`,
        aShape: [lora.rank, inp],
        bShape: [out, lora.rank],
      });
    }
  }
  return slots;
}

/** The constant factor alpha / rank applied to B·A (times the `lora_scale` input). */
export function loraFactor(lora: LoraConfig): number {
  return lora.alpha / lora.rank;
}

/**
 * Initial LoRA tensors: A ~ U(-1/√in, 1/√in) (PEFT's kaiming-uniform with a = √5 gives this bound),
 * B = 0, so the adapted model starts equal to the base model. Keyed by graph input name.
 */
export function initLora(options: {
  config: LlamaConfig;
  lora: LoraConfig;
  rng: Rng;
  dtype?: 'float32' | 'float64';
}): Map<string, HostTensor> {
  const dtype = options.dtype ?? 'float32';
  const make = (dims: readonly number[], fill: (i: number) => number): HostTensor => {
    const size = dims.reduce((a, b) => a * b, 1);
    const data = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
    for (let i = 0; i < size; i++) data[i] = fill(i);
    return fromData({ dtype, dims, data });
  };
  const out = new Map<string, HostTensor>();
  for (const slot of loraSlots(options)) {
    const bound = 1 / Math.sqrt(slot.aShape[1]);
    out.set(
      slot.aName,
      make(slot.aShape, () => (2 * options.rng.uniform() - 1) * bound),
    );
    out.set(
      slot.bName,
      make(slot.bShape, () => 0),
    );
  }
  return out;
}
