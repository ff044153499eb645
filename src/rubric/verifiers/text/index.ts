import type { Verifier } from '../types.ts';

/** The text verifier family. */
export const textVerifiers: Verifier<never>[] = [];
