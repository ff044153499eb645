import { ValidationError } from '../util/errors.ts';

/**
 * A dimension is a number or a symbol. Symbols are names the graph's author gives ('B', 'T') or
 * expressions derived from them by shape inference ('P+T', 'T-1', 'B*T'); names starting with '?'
 * are fresh unknowns created where inference cannot tell (a slice with runtime bounds).
 *
 * Broadcasting is restricted to cases decided at build time: two dimensions broadcast when they are
 * equal (same number or same symbol) or when one of them is the literal 1. 'T' against 5, or 'T'
 * against 'S', is an error. This keeps gradient reduction static: summing a gradient back to an
 * operand's shape is a ReduceSum over axes known while building, never a runtime shape computation.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

let freshCounter = 0;

/** A new unknown dimension, equal only to itself. */
export function freshDim(): string {
  freshCounter += 1;
  return `?${freshCounter}`;
}

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Element count when every dimension is a number. */
export function staticSize(shape: Shape): number | undefined {
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    size *= d;
  }
  return size;
}

/** Normalises a possibly negative axis against `rank`, failing with the op's location when out of range. */
export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ValidationError(`${where}: axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** Multidirectional (numpy) broadcasting of several shapes, decided statically (see above). */
export function broadcastShapes(shapes: readonly Shape[], where: string): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const shape of shapes) {
      const d = shape[shape.length - rank + i] ?? 1;
      if (d === 1 || d === dim) continue;
      if (dim === 1) {
        dim = d;
        continue;
      }
      throw new ValidationError(
        `${where}: cannot broadcast ${shapes.map(formatShape).join(' with ')}: dimensions ${dim} and ${d} ` +
          'differ and neither is 1 (broadcasting must be decidable while building: name dimensions ' +
          'consistently or expand explicitly)',
      );
    }
    out.push(dim);
  }
  return out;
}

const OFFSET = /^(.*[^+-])([+-]\d+)$/;

/** `d + k` for a number or a symbolic dimension ('T' + -1 = 'T-1', 'T-1' + 1 = 'T'). */
export function dimAdd(d: Dim, k: number): Dim {
  if (typeof d === 'number') return d + k;
  if (k === 0) return d;
  const m = OFFSET.exec(d);
  const base = m?.[1] ?? d;
  const offset = (m?.[2] === undefined ? 0 : Number(m[2])) + k;
  if (offset === 0) return base;
  return `${base}${offset > 0 ? '+' : ''}${offset}`;
}

/** Sum of dimensions (Concat): numbers add, symbols join in a canonical order ('P+T'). */
export function dimSum(dims: readonly Dim[]): Dim {
  let total = 0;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') total += d;
    else symbols.push(d);
  }
  if (symbols.length === 0) return total;
  return dimAdd(symbols.sort().join('+'), total);
}

/** Splits an expression at top-level `sep` (not inside parentheses), unwrapping each term. */
export function splitTerms(d: string, sep: '+' | '*'): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < d.length; i++) {
    const c = d[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      parts.push(d.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(d.slice(start));
  return parts.map((p) => (p.startsWith('(') && p.endsWith(')') ? p.slice(1, -1) : p));
}

function factors(dims: readonly Dim[]): { coefficient: number; symbols: string[] } {
  let coefficient = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') {
      coefficient *= d;
      continue;
    }
    for (const f of splitTerms(d, '*')) {
      if (/^\d+$/.test(f)) coefficient *= Number(f);
      else symbols.push(f);
    }
  }
  return { coefficient, symbols };
}

function formatProduct(coefficient: number, symbols: string[]): Dim {
  if (symbols.length === 0) return coefficient;
  if (symbols.length === 1 && coefficient === 1) return symbols[0] as string;
  const sorted = symbols.map((s) => (/[+-]/.test(s) ? `(${s})` : s)).sort();
  return coefficient === 1 ? sorted.join('*') : `${coefficient}*${sorted.join('*')}`;
}

/** Product of dimensions ('B' * 'T' = 'B*T'). */
export function dimProduct(dims: readonly Dim[]): Dim {
  const f = factors(dims);
  return formatProduct(f.coefficient, f.symbols);
}

/**
 * `product(numerator) / product(denominator)` when it simplifies exactly (Reshape's -1), otherwise
 * a fresh unknown dimension.
 */
export function dimQuotient(numerator: readonly Dim[], denominator: readonly Dim[]): Dim {
  const top = factors(numerator);
  const bottom = factors(denominator);
  if (bottom.coefficient === 0 || top.coefficient % bottom.coefficient !== 0) return freshDim();
  const symbols = [...top.symbols];
  for (const s of bottom.symbols) {
    const i = symbols.indexOf(s);
    if (i < 0) return freshDim();
    symbols.splice(i, 1);
  }
  return formatProduct(top.coefficient / bottom.coefficient, symbols);
}
