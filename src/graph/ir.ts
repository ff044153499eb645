import type { GraphBuilder } from './builder.ts';
import type { Dim } from './dims.ts';
import type { DType } from './dtype.ts';
import type { HostTensor } from './tensor.ts';

/** Attribute kinds, as ONNX AttributeProto types them. Each op declares the kinds of its attributes. */
export type AttrType = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'tensor';
export type AttrValue = number | string | readonly number[] | HostTensor;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** A tensor-valued SSA name in the graph: a graph input, an initializer, or a node output. */
export interface Value {
  readonly id: number;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  readonly kind: 'input' | 'initializer' | 'node';
  /** For small 1-D int64 tensors that hold dimensions (shape tensors, axes), their content when known. */
  readonly known?: readonly Dim[];
  /** The initializer's data, for kind 'initializer'. */
  readonly data?: HostTensor;
  /** The node computing it, for kind 'node'. */
  readonly producer?: GraphNode;
}

export interface GraphNode {
  readonly id: number;
  readonly name: string;
  /** Registry name of the op (usually the ONNX op type). */
  readonly op: string;
  /** Inputs in ONNX order; `undefined` is an omitted optional input. */
  readonly inputs: readonly (Value | undefined)[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
}

/** What shape inference says about one output. */
export interface OutputSpec {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  readonly known?: readonly Dim[];
}

export interface InferArgs {
  readonly inputs: readonly (Value | undefined)[];
  readonly attrs: Attrs;
  readonly numOutputs: number;
  /** Names the node for error messages, e.g. "MatMul node matmul_12". */
  readonly where: string;
}

export interface GradArgs {
  /** The builder the gradient nodes are appended to. */
  readonly g: GraphBuilder;
  readonly node: GraphNode;
  /** Gradients of the node's outputs; `undefined` where no gradient reaches an output. */
  readonly dOutputs: readonly (Value | undefined)[];
  /** Which inputs need a gradient; rules skip the others (a frozen weight's gradient is never built). */
  readonly wants: readonly boolean[];
}

/** Returns one gradient per input, shaped like that input; `undefined` where not wanted. */
export type GradRule = (args: GradArgs) => readonly (Value | undefined)[];

export interface OpDef {
  /** Registry name; the ONNX op type unless `onnxType` says otherwise. */
  readonly name: string;
  readonly onnxType?: string;
  /** Operator set domain; '' is the default ONNX domain. */
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, AttrType>>;
  readonly infer: (args: InferArgs) => readonly OutputSpec[];
  /**
   * The gradient rule. 'none' marks an op whose outputs are constants for differentiation
   * (comparisons, Shape, ArgMax); an op without `grad` has no rule yet, and differentiating
   * through it fails naming the op.
   */
  readonly grad?: GradRule | 'none';
}
