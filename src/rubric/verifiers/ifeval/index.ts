import type { Verifier } from '../types.ts';

/** The ifeval verifier family. */
export const ifevalVerifiers: Verifier<never>[] = [];
