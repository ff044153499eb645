/**
 * The subset of CPython's `random.Random` that langdetect draws from: the MT19937 generator, seeded
 * with a small integer the way `Random.seed(n)` seeds it, with `random()`, `getrandbits()`, `choice`'s
 * index draw and `gauss()`. langdetect samples n-grams at random; the reference seeds the generator
 * (seed 0) so that a text always gets the same answer, and drawing the same numbers in the same order
 * is what lets us give the same answer too.
 */

const N = 624;
const M = 397;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MATRIX_A = 0x9908b0df;
const TWO_PI = 2 * Math.PI;

export class PythonRandom {
  readonly #mt = new Uint32Array(N);
  #index = N + 1;
  #gaussNext: number | undefined;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** `Random.seed(n)` for a non-negative integer below 2^32: `init_by_array([n])`. */
  seed(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
      throw new RangeError(`seed must be a uint32, got ${n}`);
    this.#initByArray([n]);
    this.#gaussNext = undefined;
  }

  #initGenrand(s: number): void {
    const mt = this.#mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.#index = N;
  }

  #initByArray(key: readonly number[]): void {
    const mt = this.#mt;
    this.#initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** Next 32-bit output of the generator. */
  uint32(): number {
    const mt = this.#mt;
    if (this.#index >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.#index = 0;
    }
    let y = mt[this.#index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random()`: a double in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `getrandbits(k)` for 0 <= k <= 32. */
  getrandbits(k: number): number {
    if (k === 0) return 0;
    return this.uint32() >>> (32 - k);
  }

  /** The index `choice(seq)` draws for a sequence of length n (rejection sampling on bit length). */
  below(n: number): number {
    const k = 32 - Math.clz32(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `gauss(0, 1)`: Box-Muller, the second value of each pair kept for the next call. */
  gauss(): number {
    const z = this.#gaussNext;
    this.#gaussNext = undefined;
    if (z !== undefined) return z;
    const x2pi = this.random() * TWO_PI;
    const g2rad = Math.sqrt(-2 * Math.log(1 - this.random()));
    this.#gaussNext = Math.sin(x2pi) * g2rad;
    return Math.cos(x2pi) * g2rad;
  }
}
