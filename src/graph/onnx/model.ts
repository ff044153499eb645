import { ValidationError } from '../../util/errors.ts';
import type { Dim } from '../dims.ts';
import { DTYPES, onnxCode } from '../dtype.ts';
import type { Graph } from '../graph.ts';
import type { AttrType, AttrValue, GraphNode, Value } from '../ir.ts';
import { getOp } from '../ops/registry.ts';
import type { HostTensor } from '../tensor.ts';
import { ProtoWriter } from './proto-writer.ts';

/**
 * Encodes a graph as ONNX ModelProto bytes. Field numbers follow onnx/onnx.proto:
 * ModelProto{ir_version=1, producer_name=2, producer_version=3, graph=7, opset_import=8},
 * GraphProto{node=1, name=2, initializer=5, input=11, output=12, value_info=13},
 * NodeProto{input=1, output=2, name=3, op_type=4, attribute=5, domain=7},
 * AttributeProto{name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, type=20},
 * TensorProto{dims=1, data_type=2, name=8, raw_data=9, external_data=13, data_location=14},
 * ValueInfoProto{name=1, type=2}, TypeProto{tensor_type=1}, TypeProto.Tensor{elem_type=1, shape=2},
 * TensorShapeProto{dim=1}, Dimension{dim_value=1, dim_param=2}, OperatorSetIdProto{domain=1, version=2}.
 */

/** IR version 11 is the one that introduced opset 23; ONNX Runtime 1.30 reads it. */
export const IR_VERSION = 11;
export const DEFAULT_OPSET = 23;
/** A protobuf message cannot exceed 2 GiB; leave headroom for the graph itself. */
export const DEFAULT_MAX_INLINE_BYTES = 2 ** 31 - 2 ** 26;

export interface ExternalDataOptions {
  /** File name written into the model and given to ONNX Runtime (`externalData[].path`). */
  location: string;
  /** Move large initializers out once their total exceeds this (default 2 GiB minus 64 MiB). */
  maxInlineBytes?: number;
  /** Initializers smaller than this always stay inline (default 1 KiB). */
  minExternalBytes?: number;
}

export interface EmitOptions {
  graph: Graph;
  /** Names of the declared outputs to keep (default: all); nodes they do not need are left out. */
  outputs?: readonly string[];
  /** Default-domain opset (default 23). */
  opset?: number;
  externalData?: ExternalDataOptions;
  /** Declare the shapes of intermediate values too (GraphProto.value_info; default true). */
  valueInfo?: boolean;
}

export interface ExternalData {
  location: string;
  /** The side file's content, in pieces to avoid one copy; `concatExternal` joins them. */
  chunks: Uint8Array[];
  byteLength: number;
}

export interface EmittedModel {
  model: Uint8Array;
  external?: ExternalData;
  /** Whether any emitted value is float64 (ONNX Runtime's extended fusions are float32-only). */
  usesFloat64: boolean;
}

const ATTR_CODES: Readonly<Record<AttrType, number>> = {
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  floats: 6,
  ints: 7,
};

export function emitModel(options: EmitOptions): EmittedModel {
  const { graph } = options;
  const outputs = selectOutputs(graph, options.outputs);
  const { nodes, initializers } = reachable(
    graph,
    outputs.map((o) => o.value),
  );

  const external = planExternal(initializers, options.externalData);
  const g = new ProtoWriter();
  for (const node of nodes) g.message(1, encodeNode(node));
  g.string(2, graph.name);
  for (const init of initializers)
    g.message(
      5,
      encodeTensor(init.name, init.data as HostTensor, external.offsets.get(init.id), external.location),
    );
  for (const input of graph.inputs) g.message(11, encodeValueInfo(input.name, input));
  for (const out of outputs) g.message(12, encodeValueInfo(out.name, out.value));
  if (options.valueInfo !== false) {
    // Intermediate shapes with their symbols ('B', 'T', 'B*T'). Without them ONNX Runtime gives
    // every dim it cannot infer (after a Reshape to a computed shape) a fresh name; its memory
    // planner then never finds an equal-sized free buffer, its free list grows with every node,
    // and session creation turns quadratic (8,000 nodes: 18 s instead of 0.4 s) with less reuse.
    const declared = new Set(outputs.map((o) => o.value.id));
    for (const node of nodes) {
      for (const v of node.outputs) if (!declared.has(v.id)) g.message(13, encodeValueInfo(v.name, v));
    }
  }

  const domains = new Map<string, number>([['', options.opset ?? DEFAULT_OPSET]]);
  for (const node of nodes) {
    const domain = getOp(node.op).domain ?? '';
    if (!domains.has(domain)) domains.set(domain, 1);
  }
  const m = new ProtoWriter().varint(1, IR_VERSION).string(2, 'anchorage').string(3, '0.1');
  m.message(7, g);
  for (const [domain, version] of domains)
    m.message(8, new ProtoWriter().string(1, domain).varint(2, version));
  const model = m.finish();
  if (model.byteLength >= 2 ** 31) {
    throw new ValidationError(
      `model is ${model.byteLength} bytes, over the 2 GiB protobuf limit; set externalData`,
    );
  }
  const usesFloat64 =
    graph.inputs.some((v) => v.dtype === 'float64') ||
    nodes.some((n) => n.outputs.some((v) => v.dtype === 'float64'));
  return external.data === undefined
    ? { model, usesFloat64 }
    : { model, external: external.data, usesFloat64 };
}

/** The side file as one buffer, for `InferenceSession.create(bytes, { externalData })`. */
export function concatExternal(external: ExternalData): Uint8Array {
  const out = new Uint8Array(external.byteLength);
  let offset = 0;
  for (const c of external.chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

function selectOutputs(graph: Graph, names: readonly string[] | undefined) {
  if (graph.outputs.length === 0) throw new ValidationError(`graph '${graph.name}' declares no outputs`);
  if (names === undefined) return graph.outputs;
  return names.map((name) => {
    const out = graph.outputs.find((o) => o.name === name);
    if (out === undefined) {
      throw new ValidationError(
        `graph '${graph.name}' has no output '${name}' (outputs: ${graph.outputs.map((o) => o.name).join(', ')})`,
      );
    }
    return out;
  });
}

/** Nodes and initializers the outputs depend on, nodes kept in graph (topological) order. */
function reachable(graph: Graph, outputs: readonly Value[]): { nodes: GraphNode[]; initializers: Value[] } {
  const needed = new Set(outputs.map((v) => v.id));
  const keep = new Set<number>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i] as GraphNode;
    if (!node.outputs.some((o) => needed.has(o.id))) continue;
    keep.add(node.id);
    for (const v of node.inputs) if (v !== undefined) needed.add(v.id);
  }
  return {
    nodes: graph.nodes.filter((n) => keep.has(n.id)),
    initializers: graph.initializers.filter((v) => needed.has(v.id)),
  };
}

function planExternal(initializers: readonly Value[], options: ExternalDataOptions | undefined) {
  const offsets = new Map<number, { offset: number; length: number }>();
  const bytes = (v: Value) => (v.data as HostTensor).data.byteLength;
  const total = initializers.reduce((a, v) => a + bytes(v), 0);
  if (options === undefined || total <= (options.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES)) {
    return { offsets, location: '', data: undefined };
  }
  const minBytes = options.minExternalBytes ?? 1024;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const v of initializers) {
    const data = (v.data as HostTensor).data;
    if (data.byteLength < minBytes) continue;
    // Page-align large tensors so ONNX Runtime can map them from a file without copying.
    const align = data.byteLength >= 65536 ? 4096 : 64;
    const padded = Math.ceil(offset / align) * align;
    if (padded > offset) chunks.push(new Uint8Array(padded - offset));
    chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    offsets.set(v.id, { offset: padded, length: data.byteLength });
    offset = padded + data.byteLength;
  }
  return {
    offsets,
    location: options.location,
    data: { location: options.location, chunks, byteLength: offset },
  };
}

function encodeTensor(
  name: string,
  t: HostTensor,
  external?: { offset: number; length: number },
  location?: string,
): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, onnxCode(t.dtype));
  if (name !== '') w.string(8, name);
  if (external === undefined) {
    w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    return w;
  }
  const entry = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value);
  w.message(13, entry('location', location ?? ''));
  w.message(13, entry('offset', String(external.offset)));
  w.message(13, entry('length', String(external.length)));
  w.varint(14, 1);
  return w;
}

function encodeAttr(name: string, type: AttrType, value: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (type === 'int') w.varint(3, value as number);
  else if (type === 'float') w.float(2, value as number);
  else if (type === 'string') w.string(4, value as string);
  else if (type === 'ints') for (const v of value as number[]) w.varint(8, v);
  else if (type === 'floats') for (const v of value as number[]) w.float(7, v);
  else w.message(5, encodeTensor('', value as HostTensor));
  return w.varint(20, ATTR_CODES[type]);
}

function encodeNode(node: GraphNode): ProtoWriter {
  const def = getOp(node.op);
  const w = new ProtoWriter();
  const inputs = node.inputs.map((v) => v?.name ?? '');
  while (inputs.length > 0 && inputs[inputs.length - 1] === '') inputs.pop();
  for (const name of inputs) w.string(1, name);
  for (const out of node.outputs) w.string(2, out.name);
  w.string(3, node.name);
  w.string(4, def.onnxType ?? def.name);
  for (const [key, value] of Object.entries(node.attrs)) {
    w.message(5, encodeAttr(key, def.attrs?.[key] as AttrType, value));
  }
  if (def.domain !== undefined && def.domain !== '') w.string(7, def.domain);
  return w;
}

function encodeValueInfo(name: string, v: Value): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) shape.message(1, encodeDim(d));
  const tensorType = new ProtoWriter().varint(1, DTYPES[v.dtype].onnx).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function encodeDim(d: Dim): ProtoWriter {
  const w = new ProtoWriter();
  if (typeof d === 'number') w.varint(1, d);
  // Fresh unknowns ('?n') stay anonymous; named symbols become dim_param.
  else if (!d.startsWith('?')) w.string(2, d);
  return w;
}
