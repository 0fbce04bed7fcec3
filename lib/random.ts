/**
 * One seed for every random choice in the course.
 *
 * `seed(n)` resets the global generator; everything in the lib that needs
 * randomness (weight initialisation, batch sampling, dropout, token sampling,
 * dataset generation) draws from `rng()` or asks it for a tfjs op seed with
 * `rng().tfSeed()`. Same seed → same numbers on the same backend.
 */

/** A small, fast, seedable PRNG (mulberry32) with the helpers the course needs. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi) — or [0, lo) when called with one argument. */
  int(lo: number, hi?: number): number {
    if (hi === undefined) { hi = lo; lo = 0; }
    if (!(hi > lo)) throw new Error(`Rng.int: empty range [${lo}, ${hi}) — hi must be larger than lo (int(n) draws from 0 … n − 1).`);
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** Standard normal sample (Box–Muller). */
  normal(mean = 0, std = 1): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** One element chosen uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.pick: the list is empty — give at least one item to pick from.");
    return items[this.int(items.length)];
  }

  /** Index sampled from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new Error("Rng.categorical: weights must be finite, non-negative and not all zero");
    }
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** An integer seed for a tfjs random op (tf.randomNormal, tf.dropout, …). */
  tfSeed(): number {
    return this.int(0, 2 ** 31 - 1);
  }

  /** An independent child generator (e.g. one per dataset) derived from this one. */
  fork(): Rng {
    return new Rng(this.int(0, 2 ** 31 - 1));
  }
}

export const DEFAULT_SEED = 1337;
let globalRng = new Rng(DEFAULT_SEED);
let globalSeed = DEFAULT_SEED;

/** Reset the global generator. Call once at the top of an experiment. */
export function seed(n: number): void {
  globalRng = new Rng(n);
  globalSeed = n;
}

/** The seed last passed to `seed()`. */
export function currentSeed(): number {
  return globalSeed;
}

/** The global generator. */
export function rng(): Rng {
  return globalRng;
}
