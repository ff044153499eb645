import { ValidationError } from '../util/errors.ts';
import type { GraphBuilder } from './builder.ts';
import { formatShape, isStatic } from './dims.ts';
import { isFloat } from './dtype.ts';
import type { GraphNode, Value } from './ir.ts';
import { getOp } from './ops/registry.ts';
import { full } from './tensor.ts';

export interface GradOptions {
  /** The builder holding the forward graph; gradient nodes are appended to it. */
  graph: GraphBuilder;
  /** A single-element float value (or any float value when `seed` is given). */
  loss: Value;
  /** Values to differentiate with respect to: graph inputs (LoRA weights), initializers, or node outputs. */
  wrt: readonly Value[];
  /** dLoss/dLoss, shaped like `loss`; default 1. */
  seed?: Value;
}

/**
 * Reverse-mode differentiation emitted as ordinary ONNX ops. Walks the nodes backwards from `loss`,
 * calling each op's gradient rule only for inputs that depend on some `wrt` value (so frozen
 * weights never get a gradient computed), and sums contributions where a value feeds several
 * nodes. Returns one gradient per `wrt` value, shaped like it (zeros when the loss does not depend
 * on it).
 */
export function grad(options: GradOptions): Value[] {
  const { graph: g, loss, wrt } = options;
  if (!isFloat(loss.dtype))
    throw new ValidationError(`grad: loss ${loss.name} is ${loss.dtype}, expected a float type`);
  for (const w of wrt) {
    if (!isFloat(w.dtype))
      throw new ValidationError(`grad: cannot differentiate with respect to ${w.dtype} value ${w.name}`);
  }
  const active = activeValues(g.nodes, wrt);
  const contributions = new Map<number, Value[]>([[loss.id, [seedFor(g, loss, options.seed)]]]);

  const total = (v: Value): Value | undefined => {
    const parts = contributions.get(v.id);
    if (parts === undefined) return undefined;
    if (parts.length > 1) contributions.set(v.id, [g.sum(parts)]);
    return contributions.get(v.id)?.[0];
  };

  // Snapshot: the walk appends gradient nodes to the same list.
  const forward = [...g.nodes];
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i] as GraphNode;
    if (!node.outputs.some((o) => contributions.has(o.id))) continue;
    const wants = node.inputs.map((v) => v !== undefined && active.has(v.id));
    if (!wants.some((w) => w)) continue;
    const def = getOp(node.op);
    if (def.grad === 'none') continue;
    if (def.grad === undefined) {
      throw new ValidationError(
        `grad: op ${node.op} (node ${node.name}) has no gradient rule; build it from differentiable primitives`,
      );
    }
    const dOutputs = node.outputs.map(total);
    const grads = def.grad({ g, node, dOutputs, wants });
    node.inputs.forEach((x, j) => {
      const dx = grads[j];
      if (x === undefined || wants[j] !== true || dx === undefined) return;
      checkGradient(node, x, dx);
      const list = contributions.get(x.id);
      if (list === undefined) contributions.set(x.id, [dx]);
      else list.push(dx);
    });
  }
  return wrt.map((w) => total(w) ?? g.zerosLike(w));
}

/** Float values that depend on some `wrt` value through ops that carry gradients. */
function activeValues(nodes: readonly GraphNode[], wrt: readonly Value[]): Set<number> {
  const active = new Set(wrt.map((v) => v.id));
  for (const node of nodes) {
    if (!node.inputs.some((v) => v !== undefined && active.has(v.id))) continue;
    if (getOp(node.op).grad === 'none') continue;
    for (const out of node.outputs) if (isFloat(out.dtype)) active.add(out.id);
  }
  return active;
}

function seedFor(g: GraphBuilder, loss: Value, seed: Value | undefined): Value {
  if (seed !== undefined) {
    if (seed.dtype !== loss.dtype) throw new ValidationError(`grad: seed ${seed.name} must be ${loss.dtype}`);
    return seed;
  }
  if (!isStatic(loss.shape) || loss.shape.some((d) => d !== 1)) {
    throw new ValidationError(
      `grad: loss ${loss.name} has shape ${formatShape(loss.shape)}; reduce it to one element or pass a seed`,
    );
  }
  return g.constant(full({ dtype: loss.dtype, dims: loss.shape as number[], value: 1 }));
}

/** A rule's gradient must match its input's type and rank (and dims where both are numbers). */
function checkGradient(node: GraphNode, x: Value, dx: Value): void {
  const sameDims =
    dx.shape.length === x.shape.length &&
    dx.shape.every((d, i) => typeof d !== 'number' || typeof x.shape[i] !== 'number' || d === x.shape[i]);
  if (dx.dtype !== x.dtype || !sameDims) {
    throw new ValidationError(
      `grad: rule for ${node.op} (node ${node.name}) gave ${dx.dtype} ${formatShape(dx.shape)} for input ` +
        `${x.name} of ${x.dtype} ${formatShape(x.shape)}`,
    );
  }
}
