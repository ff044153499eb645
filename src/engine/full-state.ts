import type { HostTensor } from '../graph/tensor.ts';
import { expectedWeights, type LlamaConfig } from '../models/config.ts';
import type { WeightTensors } from '../models/llama/weights.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * The trainable part of a fully fine-tuned policy: every weight of the model (embedding, norms,
 * projections, biases, the untied head), float32, keyed by canonical name (`blk.0.attn_q.weight`)
 * and shaped as `expectedWeights` says (a tied model has no `output.weight`: the embedding is the
 * head). AdamW updates the arrays in place; the training graph takes them as inputs and returns
 * `grad.{name}` for each; generation and scoring graphs hold them as initializers.
 */
export interface FullState {
  readonly kind: 'full';
  readonly tensors: Map<string, Float32Array>;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/**
 * Weights from float32 tensors (the base model's, dequantised by the loader, or stored ones),
 * checked against the model: every weight present, no extra ones, sizes equal. `source` names
 * where they came from for error messages. The arrays are taken, not copied.
 */
export function fullStateFrom(options: {
  model: LlamaConfig;
  tensors: ReadonlyMap<string, Float32Array>;
  source: string;
}): FullState {
  const shapes = expectedWeights(options.model);
  const tensors = new Map<string, Float32Array>();
  for (const [name, shape] of shapes) {
    const data = options.tensors.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (data === undefined) {
      throw new ValidationError(`weight '${name}' is missing`, { location: { file: options.source } });
    }
    if (data.length !== size) {
      throw new ValidationError(`weight '${name}' has ${data.length} values, expected [${shape}] (${size})`, {
        location: { file: options.source, field: name },
      });
    }
    tensors.set(name, data);
  }
  const extra = [...options.tensors.keys()].filter((n) => !shapes.has(n));
  if (extra.length > 0) {
    throw new ValidationError(`unexpected weights for this model: ${extra.slice(0, 5).join(', ')}`, {
      location: { file: options.source },
    });
  }
  return { kind: 'full', tensors, shapes };
}

/** The trainable copy of loaded base weights (float32 host tensors, as `loadWeights` reads them). */
export function fullStateOf(options: {
  model: LlamaConfig;
  weights: WeightTensors;
  source: string;
}): FullState {
  const tensors = new Map<string, Float32Array>();
  for (const [name, t] of options.weights) {
    if (t.dtype !== 'float32') {
      throw new ValidationError(`weight '${name}' is ${t.dtype}; full fine-tuning trains float32 weights`);
    }
    tensors.set(name, t.data as Float32Array);
  }
  return fullStateFrom({ model: options.model, tensors, source: options.source });
}

/** The weights as host tensors (views on the same arrays), for graph initializers or session feeds. */
export function fullWeightTensors(state: FullState): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, data] of state.tensors) {
    out.set(name, { dtype: 'float32', dims: state.shapes.get(name) as number[], data });
  }
  return out;
}

/** Number of trained values. */
export function parameterCount(state: { tensors: ReadonlyMap<string, Float32Array> }): number {
  let n = 0;
  for (const t of state.tensors.values()) n += t.length;
  return n;
}
