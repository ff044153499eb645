/**
 * A row of logits with the tokens a constraint forbids set to -Infinity, written to `out`: the
 * sampler then draws only among the allowed ones (their probabilities renormalised), whatever the
 * temperature, top-p or top-k. Pure.
 */
export function maskLogits(options: {
  logits: Float32Array;
  /** 1 where a token is allowed (see TokenConstraint.allowed). */
  allowed: Uint8Array;
  out: Float32Array;
}): Float32Array {
  const { logits, allowed, out } = options;
  for (let i = 0; i < logits.length; i++)
    out[i] = allowed[i] === 1 ? (logits[i] as number) : Number.NEGATIVE_INFINITY;
  return out;
}
