import { z } from 'zod';
import type { ResponseText } from './response-text.ts';

/** Schema of an instruction's kwargs: an object whose unknown keys must be null (see `kwargs`). */
export type KwargsSchema = z.ZodObject<z.ZodRawShape, z.core.$catchall<z.ZodNull>>;

/**
 * One IFEval instruction type: its id (e.g. `punctuation:no_comma`), the schema of its keyword
 * arguments as IFEval's prompt files give them, and the check itself, applied to one text.
 */
export interface IfevalInstruction<S extends KwargsSchema = KwargsSchema> {
  id: string;
  description: string;
  /** Validates the `kwargs` entry of the instruction in an IFEval prompt record. */
  args: S;
  /** The instruction as a person would read it, with its arguments filled in. */
  describe(args: z.output<S>): string;
  /** True when `text` follows the instruction. The caller handles empty texts and loose variants. */
  check(text: ResponseText, args: z.output<S>): boolean;
}

/** Keeps the argument type when declaring an instruction. */
export function defineInstruction<S extends KwargsSchema>(
  instruction: IfevalInstruction<S>,
): IfevalInstruction<S> {
  return instruction;
}

/**
 * The kwargs object of an instruction. The Hugging Face copy of IFEval gives every instruction the
 * union of all argument names with `null` for the ones it does not take, so unknown keys are
 * accepted when they are null and rejected otherwise.
 */
export function kwargs<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape).catchall(z.null());
}

export const Relation = z.enum(['less than', 'at least']);
export type Relation = z.infer<typeof Relation>;

/** `less than`: actual < threshold; `at least`: actual >= threshold. */
export function compare(actual: number, relation: Relation, threshold: number): boolean {
  return relation === 'less than' ? actual < threshold : actual >= threshold;
}

export const Count = z.number().int().nonnegative();
export const NonEmptyText = z.string().refine((s) => s.trim() !== '', 'a non-empty string');

/** `"a", "b" and "c"`. */
export function quotedList(items: readonly string[]): string {
  const q = items.map((i) => `"${i}"`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} and ${q.at(-1)}`;
}
