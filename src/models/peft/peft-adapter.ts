import { z } from 'zod';
import { ValidationError } from '../../util/errors.ts';
import type { LlamaConfig } from '../config.ts';
import { hfRowOrder } from '../hf-folder/hf-row-order.ts';
import { hfWeightName } from '../hf-folder/hf-weight-names.ts';
import {
  LORA_TARGETS,
  type LoraConfig,
  LoraConfigSchema,
  type LoraTarget,
  loraSlots,
} from '../llama/lora.ts';
import type { SafetensorsWriterTensor } from '../safetensors/safetensors-writer.ts';

/**
 * LoRA adapters in Hugging Face PEFT's folder layout: `adapter_config.json` (rank `r`,
 * `lora_alpha`, `target_modules`) and `adapter_model.safetensors` with one A and one B matrix per
 * adapted projection, named after the Hugging Face parameter they adapt:
 *
 *   base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight   [rank, in]
 *   base_model.model.model.layers.3.self_attn.q_proj.lora_B.weight   [out, rank]
 *
 * PEFT adds (lora_alpha / r)·B·A to the weight, as we do (lora.ts), so A and B keep their values
 * and orientation. Only the rows of q/k's B move when our model holds q/k in adjacent-pair order
 * (a llama GGUF): the adapter then fits the Hugging Face weights of the same model.
 */
export const PEFT_CONFIG_FILE = 'adapter_config.json';
export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';
/** Prefix PEFT gives parameter names: the PEFT wrapper, then the causal-LM wrapper. */
const PEFT_PREFIX = 'base_model.model.';

const emptyPattern = (what: string) =>
  z
    .record(z.string(), z.unknown())
    .nullish()
    .refine((v) => v === undefined || v === null || Object.keys(v).length === 0, {
      message: `per-layer ${what} are not supported; expected {}`,
    });

/** The fields of adapter_config.json that decide what the adapters compute; other keys pass. */
export const PeftAdapterConfigSchema = z.looseObject({
  peft_type: z.literal('LORA', { error: 'expected "LORA": only LoRA adapters are supported' }),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  target_modules: z
    .array(z.string(), {
      error: 'expected a list of module names (q_proj, v_proj, ...); a regular expression is not supported',
    })
    .min(1, 'expected at least one module'),
  bias: z
    .literal('none', { error: 'expected "none": adapters that train biases are not supported' })
    .default('none'),
  fan_in_fan_out: z
    .literal(false, { error: 'expected false: transposed (Conv1D) layers are not supported' })
    .default(false),
  use_rslora: z
    .literal(false, { error: 'expected false: rank-stabilised scaling is not supported' })
    .default(false),
  use_dora: z.literal(false, { error: 'expected false: DoRA is not supported' }).default(false),
  rank_pattern: emptyPattern('ranks'),
  alpha_pattern: emptyPattern('alphas'),
  layers_to_transform: z
    .null({ error: 'expected null: adapters on some layers only are not supported' })
    .optional(),
  modules_to_save: z
    .array(z.string())
    .max(0, 'expected null: fully trained extra modules are not supported')
    .nullish(),
});
export type PeftAdapterConfig = z.infer<typeof PeftAdapterConfigSchema>;

/** PEFT's module name for each of our LoRA targets: the last part of the Hugging Face name. */
function moduleName(target: LoraTarget): string {
  const hf = hfWeightName(`blk.0.${LORA_TARGETS[target]}.weight`);
  const m = hf === undefined ? null : /\.([a-z_]+)\.weight$/.exec(hf);
  if (m === null) throw new Error(`no Hugging Face name for LoRA target '${target}'`);
  return m[1]!;
}
const TARGET_OF_MODULE = new Map(
  (Object.keys(LORA_TARGETS) as LoraTarget[]).map((t) => [moduleName(t), t] as const),
);

/** The PEFT names of the A and B matrices that adapt a canonical weight. */
function peftNames(weight: string): { a: string; b: string } {
  const hf = hfWeightName(weight);
  if (hf === undefined) throw new Error(`no Hugging Face name for '${weight}'`);
  const stem = `${PEFT_PREFIX}${hf.slice(0, -'.weight'.length)}`;
  return { a: `${stem}.lora_A.weight`, b: `${stem}.lora_B.weight` };
}

/** Adapters as the engine holds them: tensors by graph input name (`blk.0.attn_q.lora_a`). */
export interface AdapterTensors {
  readonly config: LoraConfig;
  readonly tensors: ReadonlyMap<string, Float32Array>;
}

/**
 * adapter_config.json's object and adapter_model.safetensors' tensors for `adapters` on `model`.
 * `baseModel` names the model the adapters were trained on (base_model_name_or_path).
 */
export function encodePeftAdapter(options: {
  model: LlamaConfig;
  adapters: AdapterTensors;
  baseModel: string;
}): { config: PeftAdapterConfig; tensors: SafetensorsWriterTensor[] } {
  const { model, adapters } = options;
  const lora = adapters.config;
  const tensors: SafetensorsWriterTensor[] = [];
  for (const slot of loraSlots({ config: model, lora })) {
    const a = adapters.tensors.get(slot.aName);
    const b = adapters.tensors.get(slot.bName);
    if (a === undefined || b === undefined)
      throw new ValidationError(`LoRA tensors of '${slot.weight}' are missing`);
    const names = peftNames(slot.weight);
    tensors.push({ name: names.a, shape: slot.aShape, dtype: 'F32', data: a });
    const rows = hfRowOrder({
      config: model,
      name: slot.weight,
      data: b,
      rowLength: lora.rank,
      direction: 'to-hf',
    });
    tensors.push({ name: names.b, shape: slot.bShape, dtype: 'F32', data: rows });
  }
  const config: PeftAdapterConfig = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: options.baseModel,
    r: lora.rank,
    lora_alpha: lora.alpha,
    target_modules: lora.targets.map(moduleName),
    lora_dropout: 0,
    bias: 'none',
    fan_in_fan_out: false,
    use_rslora: false,
    use_dora: false,
    rank_pattern: {},
    alpha_pattern: {},
    layers_to_transform: null,
    modules_to_save: null,
    init_lora_weights: true,
    inference_mode: true,
  };
  return { config, tensors };
}

/** A read safetensors file: tensor shapes by name, and their values. */
export interface TensorSource {
  readonly file: string;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  tensor(name: string): Float32Array;
}

/**
 * Adapters for `model` from a PEFT folder's config object and weights, in our tensor names and
 * row order. Errors name the file and field: an unsupported setting, a module we cannot adapt, a
 * missing or extra tensor, a shape the model does not have (an adapter for another base model).
 */
export function decodePeftAdapter(options: {
  model: LlamaConfig;
  configJson: unknown;
  configFile: string;
  weights: TensorSource;
}): AdapterTensors {
  const { model, configFile, weights } = options;
  const parsed = PeftAdapterConfigSchema.safeParse(options.configJson);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(issue.message, { location: { file: configFile, field: issue.path.join('.') } });
  }
  const peft = parsed.data;
  const targets = peft.target_modules.map((module, i) => {
    const target = TARGET_OF_MODULE.get(module);
    if (target === undefined) {
      throw new ValidationError(
        `unknown module '${module}'; known: ${[...TARGET_OF_MODULE.keys()].join(', ')}`,
        {
          location: { file: configFile, field: `target_modules.${i}` },
        },
      );
    }
    return target;
  });
  const lora = LoraConfigSchema.parse({ rank: peft.r, alpha: peft.lora_alpha, targets });
  const tensors = new Map<string, Float32Array>();
  const expected = new Set<string>();
  const take = (name: string, shape: readonly number[]): Float32Array => {
    expected.add(name);
    const found = weights.shapes.get(name);
    if (found === undefined) {
      throw new ValidationError(`tensor '${name}' is missing (adapter_config.json names its module)`, {
        location: { file: weights.file },
      });
    }
    if (found.join(',') !== shape.join(',')) {
      throw new ValidationError(
        `tensor '${name}' has shape [${found}], the model needs [${shape}]: an adapter for another base model?`,
        { location: { file: weights.file } },
      );
    }
    return weights.tensor(name);
  };
  for (const slot of loraSlots({ config: model, lora })) {
    const names = peftNames(slot.weight);
    tensors.set(slot.aName, take(names.a, slot.aShape));
    const b = take(names.b, slot.bShape);
    tensors.set(
      slot.bName,
      hfRowOrder({ config: model, name: slot.weight, data: b, rowLength: lora.rank, direction: 'from-hf' }),
    );
  }
  const extra = [...weights.shapes.keys()].filter((n) => !expected.has(n));
  if (extra.length > 0) {
    const more = extra.length > 3 ? ` (and ${extra.length - 3} more)` : '';
    throw new ValidationError(
      `tensors the model has no place for: ${extra.slice(0, 3).join(', ')}${more}: an adapter for another base model?`,
      { location: { file: weights.file } },
    );
  }
  return { config: lora, tensors };
}
