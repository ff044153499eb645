/**
 * A rule on which tokens a sequence may draw next (constrained decoding, e.g. a JSON schema): the
 * sampler masks every other token's logit before it draws (see mask-logits.ts), then tells the
 * constraint what was drawn.
 */
export interface TokenConstraint {
  /** Writes 1 for each allowed next token into `out` (one entry per vocabulary id); returns the count. */
  allowed(out: Uint8Array): number;
  /** Moves past a drawn token (one that `allowed` allowed). */
  advance(token: number): void;
}
