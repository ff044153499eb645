/**
 * Compiled patterns built from instruction arguments (keywords, section markers), kept so that a
 * keyword checked on thousands of responses is compiled once. Bounded: arguments come from data.
 */
const MAX_ENTRIES = 2048;
const cache = new Map<string, RegExp>();

export function cachedRegExp(source: string, flags: string): RegExp {
  const key = `${flags}/${source}`;
  let re = cache.get(key);
  if (re === undefined) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    re = new RegExp(source, flags);
    cache.set(key, re);
  }
  return re;
}

/** Number of non-overlapping matches of a global pattern. */
export function countMatches(re: RegExp, text: string): number {
  re.lastIndex = 0;
  let n = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    n++;
    if (m[0] === '') re.lastIndex++; // never loop on an empty match
  }
  return n;
}
