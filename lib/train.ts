/**
 * Training a language model: next-token prediction on a stream of token ids.
 *
 *   const result = await train(model, { train: trainIds, val: valIds }, {
 *     steps: 500, batchSize: 16, lr: 1e-3,
 *     onStep: (info) => progress.update(info),      // lib/progress.ts's TrainingProgress
 *   });
 *
 * Each step: sample a batch of random windows (lib/random, so the same seed gives
 * the same batches) → loss and gradients → stop with a clear error if the loss
 * is NaN/∞ → clip the gradients to a maximum global norm → AdamW update with a
 * warmup + cosine learning rate. Every step runs inside tf.tidy, so the number of
 * tensors stays constant from step to step.
 *
 * The pieces are exported on their own: `AdamW`, `clipByGlobalNorm`,
 * `learningRate`, `sampleBatch`, `estimateLoss`, and `Trainer` (one optimisation
 * step for any loss function — e.g. the encoder–decoder's).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, rng } from "./random";
import { GPT } from "./model/gpt";

// ---------------------------------------------------------------- learning rate

export interface ScheduleOptions {
  /** Peak learning rate. */
  lr: number;
  /** Final learning rate of the cosine decay (default lr / 10). */
  minLr?: number;
  /** Steps of linear warmup from ~0 to lr (default 0). */
  warmupSteps?: number;
  /** Total steps (the cosine reaches minLr here). */
  totalSteps: number;
  /** "cosine" (default) or "constant" (after warmup). */
  schedule?: "cosine" | "constant";
}

/** Learning rate at `step` (0-based): linear warmup, then cosine decay to minLr. */
export function learningRate(step: number, o: ScheduleOptions): number {
  const minLr = o.minLr ?? o.lr / 10;
  const warmup = o.warmupSteps ?? 0;
  if (step < warmup) return (o.lr * (step + 1)) / warmup;
  if (o.schedule === "constant") return o.lr;
  const span = Math.max(1, o.totalSteps - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  return minLr + 0.5 * (o.lr - minLr) * (1 + Math.cos(Math.PI * progress));
}

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

// ---------------------------------------------------------------- one step

/** Thrown when the loss stops being a finite number; the model keeps its last good weights. */
export class TrainingDivergedError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly loss: number,
    /** What was trained before the loss diverged (train() fills this in). */
    public result?: TrainResult,
  ) {
    super(message);
    this.name = "TrainingDivergedError";
  }
}

export interface TrainerOptions extends AdamWOptions {
  /** Clip gradients to this global norm (default 1; 0 = off). */
  gradClip?: number;
}

/**
 * One optimisation step for any scalar loss of the given variables:
 *   const trainer = new Trainer(model.params.variables(), { weightDecay: 0.1 });
 *   const loss = trainer.step(() => model.loss(x, y, { training: true }), lr);
 */
export class Trainer {
  readonly optimizer: AdamW;
  readonly gradClip: number;
  private steps = 0;

  constructor(readonly variables: tf.Variable[], options: TrainerOptions = {}) {
    this.optimizer = new AdamW(variables, options);
    this.gradClip = options.gradClip ?? 1;
  }

  /** Loss, gradients, NaN check, clipping and the AdamW update. Returns the loss. */
  step(lossFn: () => tf.Scalar, lr: number): number {
    const step = this.steps;
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, this.variables);
      const loss = value.dataSync()[0]; // a scalar read: cheap on wasm/cpu, where ops run synchronously
      if (!Number.isFinite(loss)) {
        throw new TrainingDivergedError(
          `loss became ${loss} at step ${step} — lower the learning rate (it was ${lr.toPrecision(3)}; try ${(lr / 3).toPrecision(2)})` +
            `${this.gradClip > 0 ? "" : " or turn gradient clipping on (gradClip: 1)"}. The weights are those from before this step.`,
          step,
          loss,
        );
      }
      let g = this.variables.map((v) => grads[v.name]);
      if (this.gradClip > 0) g = clipByGlobalNorm(g, this.gradClip).grads;
      this.optimizer.step(g, lr);
      this.steps++;
      return loss;
    });
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

// ---------------------------------------------------------------- data

/** A batch of windows: ids (B·T) and next-token targets (B·T), row-major (B, T). */
export interface Batch {
  ids: Int32Array;
  targets: Int32Array;
  batchSize: number;
  length: number;
}

/** B random windows of T tokens and, for each, the T tokens that follow (shifted by one). */
export function sampleBatch(tokens: ArrayLike<number>, batchSize: number, length: number, random: Rng = rng()): Batch {
  const n = tokens.length;
  if (n < length + 1) {
    throw new Error(`The data has ${n} tokens but a training window needs ${length + 1} (context ${length} + 1 target). Use more text or a shorter context.`);
  }
  const ids = new Int32Array(batchSize * length);
  const targets = new Int32Array(batchSize * length);
  for (let b = 0; b < batchSize; b++) {
    const start = random.int(0, n - length);
    for (let t = 0; t < length; t++) {
      ids[b * length + t] = tokens[start + t];
      targets[b * length + t] = tokens[start + t + 1];
    }
  }
  return { ids, targets, batchSize, length };
}

/** Mean loss of `model` over `batches` random batches (no dropout, no gradients). */
export function estimateLoss(model: GPT, tokens: ArrayLike<number>, options: { batches?: number; batchSize?: number; length?: number; rng?: Rng } = {}): number {
  const batches = options.batches ?? 8;
  const length = Math.min(options.length ?? model.config.contextLength, tokens.length - 1);
  const random = options.rng ?? new Rng(12345);
  let total = 0;
  for (let i = 0; i < batches; i++) {
    const b = sampleBatch(tokens, options.batchSize ?? 16, length, random);
    const loss = model.loss(b.ids, b.targets, { shape: [b.batchSize, b.length] });
    total += loss.dataSync()[0];
    loss.dispose();
  }
  return total / batches;
}

// ---------------------------------------------------------------- the loop

/** What `onStep` receives after every step. */
export interface StepInfo {
  /** 1-based number of the step just done. */
  step: number;
  totalSteps: number;
  loss: number;
  /** Validation loss, on the steps where it was measured. */
  valLoss?: number;
  lr: number;
  elapsedMs: number;
}

export interface TrainOptions extends TrainerOptions {
  steps: number;
  /** Sequences per batch (default 16). */
  batchSize?: number;
  /** Tokens per sequence (default: the model's contextLength). */
  length?: number;
  /** Peak learning rate (default 1e-3). */
  lr?: number;
  minLr?: number;
  /** Default: 10% of the steps, at most 100. */
  warmupSteps?: number;
  schedule?: "cosine" | "constant";
  /** Measure the validation loss every this many steps (default: 10 times per run) and at the end. */
  evalEvery?: number;
  /** Batches per validation estimate (default 8). */
  evalBatches?: number;
  /** Seed of the batch sampler (default: drawn from lib/random's global generator). */
  seed?: number;
  /** Called after every step (may be async, e.g. `(i) => progress.update(i)`). */
  onStep?: (info: StepInfo) => void | Promise<void>;
}

export interface TrainResult {
  /** Training loss of every step. */
  losses: number[];
  valLosses: { step: number; loss: number }[];
  steps: number;
  elapsedMs: number;
  msPerStep: number;
  tokensPerSecond: number;
}

/** Train a GPT on token ids (see the top of this file). */
export async function train(model: GPT, data: { train: ArrayLike<number>; val?: ArrayLike<number> }, options: TrainOptions): Promise<TrainResult> {
  const steps = options.steps;
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`train: steps must be a positive integer, got ${steps}.`);
  const batchSize = options.batchSize ?? 16;
  const length = options.length ?? model.config.contextLength;
  if (length > model.config.contextLength) {
    throw new Error(`train: length ${length} is longer than the model's contextLength ${model.config.contextLength}. Use length ≤ ${model.config.contextLength}.`);
  }
  const lr = options.lr ?? 1e-3;
  if (!(lr > 0)) throw new Error(`train: lr must be positive, got ${lr}.`);
  const schedule: ScheduleOptions = {
    lr,
    minLr: options.minLr,
    warmupSteps: options.warmupSteps ?? Math.min(100, Math.floor(steps / 10)),
    totalSteps: steps,
    schedule: options.schedule,
  };
  const evalEvery = options.evalEvery ?? Math.max(1, Math.floor(steps / 10));
  const random = options.seed !== undefined ? new Rng(options.seed) : rng().fork();
  const trainer = new Trainer(model.params.variables(), options);
  const result: TrainResult = { losses: [], valLosses: [], steps: 0, elapsedMs: 0, msPerStep: 0, tokensPerSecond: 0 };
  const start = Date.now();
  const finish = () => {
    result.elapsedMs = Date.now() - start;
    result.steps = result.losses.length;
    result.msPerStep = result.steps ? result.elapsedMs / result.steps : 0;
    result.tokensPerSecond = result.elapsedMs ? (result.steps * batchSize * length * 1000) / result.elapsedMs : 0;
    return result;
  };
  try {
    for (let step = 0; step < steps; step++) {
      const rate = learningRate(step, schedule);
      const batch = sampleBatch(data.train, batchSize, length, random);
      const loss = trainer.step(() => model.loss(batch.ids, batch.targets, { shape: [batchSize, length], training: true }), rate);
      result.losses.push(loss);
      const info: StepInfo = { step: step + 1, totalSteps: steps, loss, lr: rate, elapsedMs: Date.now() - start };
      if (data.val && ((step + 1) % evalEvery === 0 || step + 1 === steps)) {
        info.valLoss = estimateLoss(model, data.val, { batches: options.evalBatches, batchSize, length });
        result.valLosses.push({ step: step + 1, loss: info.valLoss });
      }
      if (options.onStep) await options.onStep(info);
    }
  } catch (err) {
    if (err instanceof TrainingDivergedError) err.result = finish();
    throw err;
  } finally {
    trainer.dispose();
  }
  return finish();
}
