import type { z } from 'zod';

/** What a verifier sees: the prompt the policy answered and its response. */
export interface VerifierInput<P> {
  prompt: string;
  response: string;
  params: P;
}

/**
 * A verifier's result. `score` is a normalised value in [0, 1]: 1 is "fully satisfied" (for a
 * pass/fail check, 1 = pass and 0 = fail). The criterion maps it onto its tiers. A verifier that
 * cannot apply returns `unscorable` with a reason; it never returns 0 for "could not tell".
 */
export type VerifierResult = { score: number; reason: string } | { unscorable: true; reason: string };

/**
 * A programmatic check, registered by name. `params` validates the rubric's parameters when the
 * rubric is resolved, so a bad parameter fails at load time with its field path, not mid-run.
 * `verify` must be pure and synchronous: it runs in the judge activity's hot loop.
 */
export interface Verifier<P = unknown> {
  name: string;
  description: string;
  params: z.ZodType<P>;
  verify(input: VerifierInput<P>): VerifierResult;
}

/** Helper that keeps the parameter type when declaring a verifier. */
export function defineVerifier<P>(verifier: Verifier<P>): Verifier<P> {
  return verifier;
}
