import type { Graph } from '../../graph/graph.ts';

/** A graph input as a caller must feed it: name, element type, shape (strings are symbolic dims). */
export interface GraphInputSpec {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string)[];
}

/** Every input of a built graph, in declaration order. */
export function describeInputs(g: Graph): GraphInputSpec[] {
  return g.inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] }));
}

/** Every declared output name, in declaration order. */
export function describeOutputs(g: Graph): string[] {
  return g.outputs.map((o) => o.name);
}
