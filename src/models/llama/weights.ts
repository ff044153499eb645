import type { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import { fromData, type HostTensor } from '../../graph/tensor.ts';
import { ValidationError } from '../../util/errors.ts';
import { expectedWeights, type LlamaConfig, type ModelSource } from '../config.ts';

export type FloatType = 'float32' | 'float64';

/** Base weights by canonical name (`blk.0.attn_q.weight`), row-major as `expectedWeights` shapes them. */
export type WeightTensors = ReadonlyMap<string, HostTensor>;

/** Reads every weight the config needs from a model source, converted to `dtype`. */
export async function loadWeights(options: {
  source: ModelSource;
  dtype?: FloatType;
}): Promise<Map<string, HostTensor>> {
  const dtype = options.dtype ?? 'float32';
  const out = new Map<string, HostTensor>();
  for (const [name, dims] of expectedWeights(options.source.config)) {
    const data = await options.source.loadWeight(name);
    out.set(name, fromData({ dtype, dims, data: dtype === 'float32' ? data : Float64Array.from(data) }));
  }
  return out;
}

/** How a graph sees the base weights: one Value per canonical name, created on first use. */
export interface WeightBinding {
  get(name: string): Value;
  /** Graph inputs created so far (empty for frozen weights), in creation order. */
  readonly inputs: ReadonlyMap<string, Value>;
}

/**
 * Frozen weights as initializers. Only the weights the graph uses are stored (a tied model never
 * asks for `output.weight`). Every tensor must match the config's shape and the graph's dtype.
 */
export function frozenWeights(options: {
  g: GraphBuilder;
  config: LlamaConfig;
  tensors: WeightTensors;
  dtype: FloatType;
}): WeightBinding {
  const { g, tensors, dtype } = options;
  const shapes = expectedWeights(options.config);
  const values = new Map<string, Value>();
  return {
    inputs: new Map(),
    get(name) {
      const cached = values.get(name);
      if (cached !== undefined) return cached;
      const tensor = tensors.get(name);
      const dims = shapes.get(name);
      if (tensor === undefined || dims === undefined) {
        throw new ValidationError(`weight '${name}' is missing (the config needs it)`);
      }
      if (tensor.dtype !== dtype || tensor.dims.join(',') !== dims.join(',')) {
        throw new ValidationError(
          `weight '${name}' is ${tensor.dtype} [${tensor.dims}], expected ${dtype} [${dims}]`,
        );
      }
      const value = g.initializer({ name, tensor });
      values.set(name, value);
      return value;
    },
  };
}

/** Trainable weights (full fine-tuning) as graph inputs named by their canonical names. */
export function inputWeights(options: {
  g: GraphBuilder;
  config: LlamaConfig;
  dtype: FloatType;
}): WeightBinding {
  const { g, dtype } = options;
  const shapes = expectedWeights(options.config);
  const values = new Map<string, Value>();
  return {
    inputs: values,
    get(name) {
      const cached = values.get(name);
      if (cached !== undefined) return cached;
      const shape = shapes.get(name);
      if (shape === undefined) throw new ValidationError(`weight '${name}' is not part of this model`);
      const value = g.input({ name, dtype, shape });
      values.set(name, value);
      return value;
    },
  };
}
