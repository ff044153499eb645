import { UnknownNameError, ValidationError } from '../../util/errors.ts';
import type { OpDef } from '../ir.ts';

/** Op definitions by name: shape inference, attribute kinds and the gradient rule, side by side. */
const OPS = new Map<string, OpDef>();

export function registerOp(def: OpDef): void {
  if (OPS.has(def.name)) throw new ValidationError(`op '${def.name}' is already registered`);
  OPS.set(def.name, def);
}

export function registerOps(defs: readonly OpDef[]): void {
  for (const def of defs) registerOp(def);
}

export function getOp(name: string): OpDef {
  const def = OPS.get(name);
  if (def === undefined) throw new UnknownNameError('graph op', name, [...OPS.keys()]);
  return def;
}

export function listOps(): OpDef[] {
  return [...OPS.values()];
}
