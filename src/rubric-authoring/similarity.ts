/**
 * Near-duplicate criteria. Two criteria are near-duplicates when the Jaccard similarity of their
 * descriptions' word shingles (lower-cased runs of letters and digits, taken two at a time; a
 * one-word description is its one word) is at least a threshold. Word bigrams catch reworded
 * copies ("uses exactly three bullet points" / "uses three bullet points exactly" share most pairs)
 * while two criteria about different things in the same words rarely pass 0.5.
 */

/** Default threshold of `anchorage rubrics generate --similarity`. */
export const DEFAULT_SIMILARITY = 0.5;

/** The description's word shingles (bigrams; the single word when there is only one). */
export function shingles(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length < 2) return new Set(words);
  const out = new Set<string>();
  for (let i = 1; i < words.length; i++) out.add(`${words[i - 1]} ${words[i]}`);
  return out;
}

/** |A ∩ B| / |A ∪ B|; two empty sets are not similar (0). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const s of a) if (b.has(s)) shared++;
  return shared / (a.size + b.size - shared);
}

export function descriptionSimilarity(a: string, b: string): number {
  return jaccard(shingles(a), shingles(b));
}

/** A criterion left out, and what it duplicates. */
export interface RemovedDuplicate {
  id: string;
  description: string;
  /** `<criterion id>` of the same rubric, or `<rubric id>#<criterion id>` of a dataset rubric. */
  duplicateOf: string;
  similarity: number;
}

/**
 * Keeps the criteria that are not near-duplicates of a reference criterion (a dataset rubric's) nor
 * of an earlier kept criterion of the same list; the first of a group of duplicates stays.
 */
export function removeNearDuplicates<C extends { id: string; description: string }>(options: {
  criteria: readonly C[];
  reference: readonly { ref: string; description: string }[];
  threshold: number;
}): { kept: C[]; removed: RemovedDuplicate[] } {
  const { threshold } = options;
  const reference = options.reference.map((r) => ({ ref: r.ref, shingles: shingles(r.description) }));
  const kept: { criterion: C; shingles: Set<string> }[] = [];
  const removed: RemovedDuplicate[] = [];
  for (const criterion of options.criteria) {
    const own = shingles(criterion.description);
    const candidates = [...reference, ...kept.map((k) => ({ ref: k.criterion.id, shingles: k.shingles }))];
    let best: { ref: string; similarity: number } | undefined;
    for (const c of candidates) {
      const similarity = jaccard(own, c.shingles);
      if (similarity >= threshold && (best === undefined || similarity > best.similarity)) {
        best = { ref: c.ref, similarity };
      }
    }
    if (best === undefined) kept.push({ criterion, shingles: own });
    else {
      removed.push({
        id: criterion.id,
        description: criterion.description,
        duplicateOf: best.ref,
        similarity: Math.round(best.similarity * 1000) / 1000,
      });
    }
  }
  return { kept: kept.map((k) => k.criterion), removed };
}
