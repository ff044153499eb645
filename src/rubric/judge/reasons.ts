/**
 * The reasons a judge's verdict carries that the client, the config and the grading share: how long a
 * reason may be, and the reasons of a verdict a budget left ungraded.
 */

/** Reason of a criterion left ungraded because the request budget was spent. */
export const BUDGET_EXHAUSTED_REASON = 'request budget exhausted';

/** Reason of a criterion left ungraded because the token budget was spent. */
export const TOKEN_BUDGET_EXHAUSTED_REASON = 'token budget exhausted';

/** Longest reason kept in a verdict (and so in the cache, the store and the CLI's output). */
export const MAX_REASON_CHARS = 2000;

/** A reason cut to `MAX_REASON_CHARS`, saying how long it was. */
export function boundReason(reason: string): string {
  if (reason.length <= MAX_REASON_CHARS) return reason;
  const note = ` ... [cut from ${reason.length} characters]`;
  return `${reason.slice(0, MAX_REASON_CHARS - note.length)}${note}`;
}
