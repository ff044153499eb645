import { defenceVerifiers } from './defence/index.ts';
import { ifevalVerifiers } from './ifeval/index.ts';
import { VerifierRegistry } from './registry.ts';
import { textVerifiers } from './text/index.ts';

/** A registry holding every built-in verifier family. */
export function defaultVerifiers(): VerifierRegistry {
  return new VerifierRegistry().registerAll(ifevalVerifiers).registerAll(textVerifiers).registerAll(defenceVerifiers);
}
