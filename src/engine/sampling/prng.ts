/**
 * Counter-based random numbers for sampling: the n-th uniform of stream s under seed k is a pure
 * function of (k, s, n), MurmurHash3 (x86, 32-bit) over the three numbers' 32-bit words. With one
 * stream per sequence and the counter equal to the token position, a sequence draws the same
 * numbers whatever else is in its batch, and resuming needs no saved generator state.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** MurmurHash3_x86_32 of 32-bit words. */
export function murmur3Words(words: readonly number[], salt: number): number {
  let h = salt >>> 0;
  for (const w of words) {
    let k = Math.imul(w >>> 0, C1);
    k = rotl(k, 15);
    k = Math.imul(k, C2);
    h ^= k;
    h = rotl(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  return fmix(h ^ (words.length * 4));
}

function words(n: number, what: string): [number, number] {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${what} must be a safe integer >= 0, got ${n}`);
  return [n >>> 0, Math.floor(n / 2 ** 32) >>> 0];
}

/** A uniform in [0, 1) with 53 random bits, determined by (seed, stream, counter). */
export function uniformAt(options: { seed: number; stream: number; counter: number }): number {
  const key = [
    ...words(options.seed, 'seed'),
    ...words(options.stream, 'stream'),
    ...words(options.counter, 'counter'),
  ];
  const hi = murmur3Words(key, 0x9e3779b9) >>> 5; // 27 bits
  const lo = murmur3Words(key, 0x7f4a7c15) >>> 6; // 26 bits
  return (hi * 2 ** 26 + lo) / 2 ** 53;
}
