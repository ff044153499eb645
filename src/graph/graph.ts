import { ValidationError } from '../util/errors.ts';
import { type Dim, formatShape, splitTerms } from './dims.ts';
import type { DType } from './dtype.ts';
import type { Attrs, GraphNode, Value } from './ir.ts';
import './ops/index.ts';
import { getOp } from './ops/registry.ts';
import { fromValues, type HostTensor, sizeOf } from './tensor.ts';

export interface GraphOutput {
  readonly name: string;
  readonly value: Value;
}

export interface NodeOptions {
  op: string;
  inputs: readonly (Value | undefined)[];
  attrs?: Attrs;
  /** How many outputs to create (default 1); trailing optional outputs beyond it are omitted. */
  numOutputs?: number;
  /** Replaces inferred output shapes, where the author knows better (e.g. a slice with runtime bounds). */
  shapes?: readonly (readonly Dim[])[];
  /** Names for the outputs (default: generated from the op). */
  outputNames?: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Constants this small are deduplicated by content. */
const DEDUP_LIMIT = 64;

/**
 * The graph being built: inputs, initializers, nodes (always in topological order, because a node
 * can only use values that exist when it is created) and named outputs. Op methods live in
 * `GraphBuilder`; this class holds the bookkeeping they share.
 */
export class Graph {
  readonly name: string;
  readonly nodes: GraphNode[] = [];
  readonly inputs: Value[] = [];
  readonly initializers: Value[] = [];
  readonly outputs: GraphOutput[] = [];
  private readonly values: Value[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, Value>();
  private readonly dimValues = new Map<string, Value>();
  private nextId = 0;

  constructor(options: { name?: string } = {}) {
    this.name = options.name ?? 'anchorage';
  }

  /** A graph input fed at run time. Symbolic dims (strings) become ONNX `dim_param`s. */
  input(options: { name: string; dtype: DType; shape: readonly Dim[] }): Value {
    const value = this.newValue({
      name: this.claim(options.name),
      dtype: options.dtype,
      shape: [...options.shape],
    });
    (value as Mutable<Value>).kind = 'input';
    this.inputs.push(value);
    return value;
  }

  /** A named constant tensor stored in the model (a frozen weight). */
  initializer(options: { name: string; tensor: HostTensor }): Value {
    return this.addInitializer(this.claim(options.name), options.tensor);
  }

  /** An anonymous constant; small ones with equal content are shared. */
  constant(tensor: HostTensor): Value {
    const small = tensor.data.length <= DEDUP_LIMIT;
    const key = small
      ? `${tensor.dtype}|${tensor.dims.join(',')}|${Array.from(tensor.data as ArrayLike<unknown>).join(',')}`
      : '';
    const cached = small ? this.constants.get(key) : undefined;
    if (cached !== undefined) return cached;
    const value = this.addInitializer(this.uniqueName('const'), tensor);
    if (small) this.constants.set(key, value);
    return value;
  }

  /** A rank-0 constant. */
  scalar(value: number, dtype: DType): Value {
    return this.constant(fromValues({ dtype, dims: [], values: [value] }));
  }

  /** A 1-D int64 constant (axes, shapes, starts). */
  ints(values: readonly number[]): Value {
    return this.constant(fromValues({ dtype: 'int64', dims: [values.length], values }));
  }

  /** Appends a node after shape inference; returns its outputs. */
  node(options: NodeOptions): Value[] {
    const def = getOp(options.op);
    const id = this.nextId++;
    const name = `${options.op.toLowerCase()}_${id}`;
    const where = `${options.op} node ${name}`;
    const attrs = options.attrs ?? {};
    for (const key of Object.keys(attrs)) {
      if (def.attrs?.[key] === undefined) {
        const known = Object.keys(def.attrs ?? {});
        throw new ValidationError(
          `${where}: unknown attribute '${key}' (known: ${known.join(', ') || 'none'})`,
        );
      }
    }
    for (const v of options.inputs) {
      if (v !== undefined && this.values[v.id] !== v) {
        throw new ValidationError(`${where}: input ${v.name} belongs to another graph`);
      }
    }
    const numOutputs = options.numOutputs ?? 1;
    const specs = def.infer({ inputs: options.inputs, attrs, numOutputs, where });
    if (specs.length < numOutputs)
      throw new ValidationError(`${where}: has ${specs.length} outputs, ${numOutputs} asked`);
    const outputs = specs.slice(0, numOutputs).map((spec, i) => {
      const shape = options.shapes?.[i] ?? spec.shape;
      const outName = options.outputNames?.[i];
      return this.newValue({
        name: outName === undefined ? this.uniqueName(name) : this.claim(outName),
        dtype: spec.dtype,
        shape,
        ...(spec.known === undefined ? {} : { known: spec.known }),
      });
    });
    const node: GraphNode = { id, name, op: options.op, inputs: [...options.inputs], outputs, attrs };
    for (const out of outputs) (out as Mutable<Value>).producer = node;
    this.nodes.push(node);
    return outputs;
  }

  /** Declares a graph output under `name` (an Identity node renames it when needed). */
  output(value: Value, name: string = value.name): Value {
    if (this.outputs.some((o) => o.name === name))
      throw new ValidationError(`graph output '${name}' is declared twice`);
    let out = value;
    if (value.kind !== 'node' || value.name !== name) {
      [out] = this.node({ op: 'Identity', inputs: [value], outputNames: [name] }) as [Value];
    }
    this.outputs.push({ name, value: out });
    return out;
  }

  /**
   * An int64 [1] tensor holding dimension `d` at run time: a constant for numbers, otherwise a
   * `Shape` slice of a value that has that dimension (graph inputs first). Expressions such as
   * 'T-1', 'P+T' and 'B*T' are computed from their parts when no value carries them directly.
   */
  dim(d: Dim): Value {
    if (typeof d === 'number') return this.ints([d]);
    const cached = this.dimValues.get(d);
    if (cached !== undefined) return cached;
    let result: Value | undefined;
    for (const v of [...this.inputs, ...this.values]) {
      const axis = v.shape.indexOf(d);
      if (axis >= 0) {
        [result] = this.node({ op: 'Shape', inputs: [v], attrs: { start: axis, end: axis + 1 } }) as [Value];
        break;
      }
    }
    result ??= this.dimFromParts(d);
    this.dimValues.set(d, result);
    return result;
  }

  /** An int64 [rank] tensor holding `dims` at run time (constant when all are numbers). */
  shapeTensor(dims: readonly Dim[]): Value {
    if (dims.every((d) => typeof d === 'number')) return this.ints(dims as number[]);
    const parts: Value[] = [];
    let run: number[] = [];
    for (const d of dims) {
      if (typeof d === 'number') {
        run.push(d);
        continue;
      }
      if (run.length > 0) parts.push(this.ints(run));
      run = [];
      parts.push(this.dim(d));
    }
    if (run.length > 0) parts.push(this.ints(run));
    if (parts.length === 1) return parts[0] as Value;
    return this.node({ op: 'Concat', inputs: parts, attrs: { axis: 0 } })[0] as Value;
  }

  /** The value with this name, if any. */
  find(name: string): Value | undefined {
    return this.values.find((v) => v.name === name);
  }

  /** A fresh value name with this prefix. */
  uniqueName(prefix: string): string {
    let name = prefix;
    for (let i = 1; this.names.has(name); i++) name = `${prefix}_${i}`;
    this.names.add(name);
    return name;
  }

  private dimFromParts(d: string): Value {
    const sum = splitTerms(d, '+');
    const product = splitTerms(d, '*');
    const offset = /^(.*[^+-])([+-]\d+)$/.exec(d);
    if (offset !== null) {
      return this.node({
        op: 'Add',
        inputs: [this.dim(offset[1] as string), this.ints([Number(offset[2])])],
      })[0] as Value;
    }
    // ONNX Sum has no int64 kernel, so terms are added pairwise.
    if (sum.length > 1) {
      return sum
        .map((t) => this.dim(t))
        .reduce((a, b) => this.node({ op: 'Add', inputs: [a, b] })[0] as Value);
    }
    if (product.length > 1) {
      return product
        .map((t) => this.dim(/^\d+$/.test(t) ? Number(t) : t))
        .reduce((a, b) => this.node({ op: 'Mul', inputs: [a, b] })[0] as Value);
    }
    throw new ValidationError(`dimension '${d}' is not a dimension of any value in graph '${this.name}'`);
  }

  private claim(name: string): string {
    if (name === '' || this.names.has(name)) {
      throw new ValidationError(
        `value name '${name}' is ${name === '' ? 'empty' : 'already used'} in graph '${this.name}'`,
      );
    }
    this.names.add(name);
    return name;
  }

  private addInitializer(name: string, tensor: HostTensor): Value {
    if (tensor.data.length !== sizeOf(tensor.dims)) {
      throw new ValidationError(
        `initializer ${name}: data length does not match ${formatShape(tensor.dims)}`,
      );
    }
    const small1d = tensor.dtype === 'int64' && tensor.dims.length <= 1 && tensor.data.length <= DEDUP_LIMIT;
    const value = this.newValue({
      name,
      dtype: tensor.dtype,
      shape: [...tensor.dims],
      ...(small1d ? { known: Array.from(tensor.data as BigInt64Array, (x) => Number(x)) } : {}),
    });
    const m = value as Mutable<Value>;
    m.kind = 'initializer';
    m.data = tensor;
    this.initializers.push(value);
    return value;
  }

  private newValue(spec: {
    name: string;
    dtype: DType;
    shape: readonly Dim[];
    known?: readonly Dim[];
  }): Value {
    const value: Value = { id: this.values.length, kind: 'node', ...spec };
    this.values.push(value);
    return value;
  }
}
