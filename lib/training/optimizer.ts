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
    const { beta1: b1, beta2: b2, eps } = this;
    const stepSize = lr / (1 - Math.pow(b1, this.t));
    const vScale = 1 / Math.sqrt(1 - Math.pow(b2, this.t));
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), 1 - b2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.mul(m, stepSize), tf.add(tf.mul(tf.sqrt(v), vScale), eps));
        const decay = p.rank >= 2 ? 1 - lr * this.weightDecay : 1;
        p.assign(tf.sub(decay === 1 ? p : tf.mul(p, decay), update));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
