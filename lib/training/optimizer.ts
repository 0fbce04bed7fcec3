/**
 * The optimiser: gradient clipping and AdamW.
 */
import * as tf from "@tensorflow/tfjs";

// ---------------------------------------------------------------- gradients

/**
 * Scale gradients so their global L2 norm (all gradients as one vector) is at
 * most maxNorm. Returns the clipped gradients and the norm before clipping.
 */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  // scale = min(1, maxNorm / norm), computed on the tensors (no waiting for the value).
  const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
  return { grads: grads.map((g) => tf.mul(g, scale)), norm };
}

// ---------------------------------------------------------------- AdamW

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (default 0.1), applied to matrices and embeddings only — not to biases or LayerNorm. */
  weightDecay?: number;
}

/** AdamW's constants for the t-th update of a weight of this rank, as float32 numbers (what a tensor op multiplies by). */
export function adamWConstants(options: AdamWOptions, t: number, lr: number, rank: number) {
  const f = Math.fround;
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.95;
  return {
    b1: f(b1),
    c1: f(1 - b1),
    b2: f(b2),
    c2: f(1 - b2),
    stepSize: f(lr / (1 - Math.pow(b1, t))),
    vScale: f(1 / Math.sqrt(1 - Math.pow(b2, t))),
    eps: f(options.eps ?? 1e-8),
    /** 1 for vectors (biases, LayerNorm): no weight decay there. */
    decay: rank >= 2 ? f(1 - lr * (options.weightDecay ?? 0.1)) : 1,
  };
}

/**
 * AdamW.step's update on plain arrays, in place: the same operations in the same order, each
 * rounded to float32 as the tensor op rounds it — so the same numbers, bit for bit
 * (tests/data-parallel.test.ts). Data-parallel workers use it on their share of the weights
 * (dataParallel.ts), where the weights and moments live in shared memory, not in tensors.
 */
export function adamWArrays(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, k: ReturnType<typeof adamWConstants>): void {
  const { b1, c1, b2, c2, stepSize, vScale, eps, decay } = k;
  const f = Math.fround;
  for (let j = 0; j < w.length; j++) {
    const gj = g[j];
    const mj = f(f(m[j] * b1) + f(gj * c1)); // m ← β₁m + (1−β₁)g
    const vj = f(f(v[j] * b2) + f(f(gj * gj) * c2)); // v ← β₂v + (1−β₂)g²
    m[j] = mj;
    v[j] = vj;
    const update = f(f(mj * stepSize) / f(f(f(Math.sqrt(vj)) * vScale) + eps));
    w[j] = (decay === 1 ? w[j] : f(w[j] * decay)) - update; // the store rounds
  }
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW:
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
 *   p ← p − lr·( m̂ / (√v̂ + ε) + λ·p ),  with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(readonly params: tf.Variable[], options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.95;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.1;
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  /** Number of updates applied so far. */
  get stepCount(): number {
    return this.t;
  }

  /** Apply one update; grads[i] belongs to params[i]. */
  step(grads: tf.Tensor[], lr: number): void {
    if (grads.length !== this.params.length) throw new Error(`AdamW.step: ${grads.length} gradients for ${this.params.length} parameters.`);
    this.t++;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const k = adamWConstants(this, this.t, lr, p.rank);
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], k.b1), tf.mul(g, k.c1));
        const v = tf.add(tf.mul(this.v[i], k.b2), tf.mul(tf.square(g), k.c2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.mul(m, k.stepSize), tf.add(tf.mul(tf.sqrt(v), k.vScale), k.eps));
        p.assign(tf.sub(k.decay === 1 ? p : tf.mul(p, k.decay), update));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
