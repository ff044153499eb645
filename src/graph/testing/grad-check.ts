import { ValidationError } from '../../util/errors.ts';
import { grad } from '../autodiff.ts';
import { GraphBuilder } from '../builder.ts';
import type { Dim } from '../dims.ts';
import type { Value } from '../ir.ts';
import { emitModel } from '../onnx/model.ts';
import { createRng } from '../random.ts';
import { createSession, runSession } from '../runtime.ts';
import { fromData, type HostTensor, randn } from '../tensor.ts';

/**
 * Checks the gradients the autodiff emits against central finite differences, both computed by
 * ONNX Runtime in float64. The checked function's output y (any shape) is turned into a scalar
 * with fixed random weights, loss = Σ y ⊙ r, so every output element contributes with its own
 * weight.
 */
export interface GradCheckOptions {
  /** Builds the function under test from the graph inputs (named as in `inputs`). */
  build: (g: GraphBuilder, x: Record<string, Value>) => Value;
  /** Every graph input with its value; float inputs must be float64. */
  inputs: Readonly<Record<string, HostTensor>>;
  /** Inputs to differentiate with respect to. */
  wrt: readonly string[];
  /** Declared (possibly symbolic) shapes of inputs; default their static dims. */
  shapes?: Readonly<Record<string, readonly Dim[]>>;
  /** Finite-difference step (default 1e-5: truncation O(eps²) and rounding O(1e-16/eps) balance there). */
  eps?: number;
  seed?: number;
}

export interface InputErrors {
  /** max_i |a_i - n_i| / max(|a_i|, |n_i|, 1e-3 * max|n|). */
  maxRelError: number;
  maxAbsError: number;
  elements: number;
}

export interface GradCheckResult {
  /** Largest relative error over all checked inputs. */
  maxRelError: number;
  perInput: Record<string, InputErrors>;
  /** Nodes in the graph with gradients (forward and backward). */
  nodes: number;
}

function buildGraph(options: GradCheckOptions, outShape?: readonly Dim[]) {
  const g = new GraphBuilder({ name: 'grad_check' });
  const x: Record<string, Value> = {};
  for (const [name, t] of Object.entries(options.inputs)) {
    x[name] = g.input({ name, dtype: t.dtype, shape: options.shapes?.[name] ?? t.dims });
  }
  const y = options.build(g, x);
  if (y.dtype !== 'float64')
    throw new ValidationError(`grad check: output ${y.name} is ${y.dtype}, expected float64`);
  return { g, x, y, outShape: outShape ?? y.shape };
}

export async function checkGradients(options: GradCheckOptions): Promise<GradCheckResult> {
  const eps = options.eps ?? 1e-5;
  const rng = createRng(options.seed ?? 7);
  for (const name of options.wrt) {
    if (options.inputs[name]?.dtype !== 'float64')
      throw new ValidationError(`grad check: wrt input '${name}' must be float64`);
  }

  // Pass 1 learns the output's run-time dims (it may have symbolic ones) to size the weights r.
  const probe = buildGraph(options);
  probe.g.output(probe.y, 'y');
  const probeSession = await createSession({ model: emitModel({ graph: probe.g }) });
  const yDims = (await runSession({ session: probeSession, feeds: options.inputs }))['y']?.dims ?? [];
  await probeSession.release();
  const weights = randn({ dtype: 'float64', dims: yDims, rng });

  // Pass 2: loss = Σ y ⊙ r, plus the gradients.
  const { g, x, y } = buildGraph(options);
  const r = g.input({ name: 'grad_check_weights', dtype: 'float64', shape: y.shape });
  const loss = g.reduceSum(g.mul(y, r), { keepdims: false });
  g.output(loss, 'loss');
  const wrt = options.wrt.map((name) => x[name] as Value);
  const grads = grad({ graph: g, loss, wrt });
  grads.forEach((d, i) => {
    g.output(d, `grad_${options.wrt[i]}`);
  });
  const feeds = { ...options.inputs, grad_check_weights: weights };

  const full = await createSession({ model: emitModel({ graph: g }) });
  const analytic = await runSession({ session: full, feeds });
  await full.release();
  const forward = await createSession({ model: emitModel({ graph: g, outputs: ['loss'] }) });
  const lossAt = async (name: string, t: HostTensor): Promise<number> => {
    const out = await runSession({ session: forward, feeds: { ...feeds, [name]: t }, fetches: ['loss'] });
    return Number(out['loss']?.data[0]);
  };

  const perInput: Record<string, InputErrors> = {};
  for (const name of options.wrt) {
    const base = options.inputs[name] as HostTensor;
    const a = analytic[`grad_${name}`]?.data;
    if (!(a instanceof Float64Array))
      throw new ValidationError(`grad check: no float64 gradient for '${name}'`);
    const n = new Float64Array(base.data.length);
    for (let i = 0; i < n.length; i++) {
      const data = Float64Array.from(base.data as Float64Array);
      const x0 = data[i] as number;
      data[i] = x0 + eps;
      const up = await lossAt(name, fromData({ dtype: 'float64', dims: base.dims, data }));
      data[i] = x0 - eps;
      const down = await lossAt(
        name,
        fromData({ dtype: 'float64', dims: base.dims, data: Float64Array.from(data) }),
      );
      n[i] = (up - down) / (2 * eps);
    }
    perInput[name] = compare(a, n);
  }
  await forward.release();
  const maxRelError = Math.max(0, ...Object.values(perInput).map((e) => e.maxRelError));
  return { maxRelError, perInput, nodes: g.nodes.length };
}

function compare(a: Float64Array, n: Float64Array): InputErrors {
  if (a.length !== n.length)
    throw new ValidationError(`grad check: gradient has ${a.length} elements, expected ${n.length}`);
  let scale = 0;
  for (const v of n) scale = Math.max(scale, Math.abs(v));
  const floor = Math.max(1e-3 * scale, 1e-12);
  let maxRel = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] as number;
    const ni = n[i] as number;
    const abs = Math.abs(ai - ni);
    maxAbs = Math.max(maxAbs, abs);
    maxRel = Math.max(maxRel, abs / Math.max(Math.abs(ai), Math.abs(ni), floor));
    if (!Number.isFinite(ai)) maxRel = Number.POSITIVE_INFINITY;
  }
  return { maxRelError: maxRel, maxAbsError: maxAbs, elements: a.length };
}
