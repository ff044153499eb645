import type { Verifier } from '../types.ts';

/** The defence verifier family. */
export const defenceVerifiers: Verifier<never>[] = [];
