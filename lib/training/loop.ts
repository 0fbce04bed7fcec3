/**
 * The training loop — one for every model and objective in the course.
 *
 *   const result = await train(nextTokenTask(model, { train: ids, val: valIds }), {
 *     steps: 500, lr: 1e-3, onStep: (info) => progress.update(info),
 *   });
 *
 * A *task* says what is trained and how it is scored (tasks.ts, and lib/align.ts for
 * stage 3): the parameters to update, how to draw a batch, the loss of a batch, and
 * optionally a validation loss. The loop does the rest, the same way for all of them:
 *
 *   each step: draw a batch (with the loop's seeded generator: same seed, same batches)
 *     → loss and gradients of the task's parameters only (frozen ones stay byte-identical)
 *     → stop with a clear error if the loss is NaN/∞ (the weights from before the step are kept)
 *     → clip the gradients to a maximum global norm → AdamW update, warmup + cosine learning rate
 *     → every evalEvery steps: the validation loss → onStep (e.g. a live progress display)
 *     → at the steps listed in checkpointAt: onCheckpoint (samples along the way, saved weights).
 *
 * Every step runs inside tf.tidy, so the number of tensors stays constant from step to step.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, rng } from "../random";
import { AdamW, AdamWOptions, clipByGlobalNorm } from "./optimizer";
import { ScheduleOptions, learningRate } from "./schedule";

/** What to train and how to score it. */
export interface TrainingTask<B = unknown> {
  /** The variables the optimiser updates (e.g. `model.trainableParams()`). */
  params: tf.Variable[];
  /** The next training batch, drawn with the loop's seeded generator. */
  nextBatch(random: Rng): B;
  /** The scalar loss of a batch; `training` turns dropout on. Runs inside the loop's tidy and gradient tape. */
  loss(batch: B, training: boolean): tf.Scalar;
  /** Validation loss (no gradients, no dropout), measured every evalEvery steps and at the end. */
  evaluate?(): number;
  /** Tokens per batch, for the tokens/s figure (default 0). */
  tokensPerBatch?: number;
}

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

export interface TrainOptions extends AdamWOptions {
  steps: number;
  /** Peak learning rate (default 1e-3). */
  lr?: number;
  minLr?: number;
  /** Default: 10% of the steps, at most 100. */
  warmupSteps?: number;
  schedule?: "cosine" | "constant";
  /** Clip gradients to this global norm (default 1; 0 = off). */
  gradClip?: number;
  /** Measure the validation loss every this many steps (default: 10 times per run) and at the end. */
  evalEvery?: number;
  /** Seed of the batch sampler (default: drawn from lib/random's global generator). */
  seed?: number;
  /** Run only the first N steps of this `steps`-long schedule (to replay the start of a recorded run, or to resume in parts). */
  stopAfter?: number;
  /** Called after every step (may be async, e.g. `(i) => progress.update(i)`). */
  onStep?: (info: StepInfo) => void | Promise<void>;
  /**
   * Steps after which to call `onCheckpoint` (0 = before the first step), e.g. [0, 50, 200, 300]
   * to generate samples or save the weights along the way. The time spent there is not counted
   * in elapsedMs or tokens/s.
   */
  checkpointAt?: number[];
  onCheckpoint?: (step: number) => void | Promise<void>;
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

/**
 * One optimisation step of a scalar loss: gradients of `params` only, the NaN stop,
 * clipping and the AdamW update. Returns the loss. (The loop below uses it; so does the
 * speed benchmark, which times single steps.)
 */
export class Trainer {
  readonly optimizer: AdamW;
  readonly gradClip: number;
  private steps = 0;

  constructor(readonly params: tf.Variable[], options: AdamWOptions & { gradClip?: number } = {}) {
    if (params.length === 0) throw new Error("train: the task has no parameters to update — is everything frozen? Unfreeze some (model.unfreeze()) or pass the ones to train.");
    this.optimizer = new AdamW(params, options);
    this.gradClip = options.gradClip ?? 1;
  }

  step(lossFn: () => tf.Scalar, lr: number): number {
    const step = this.steps;
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, this.params);
      const loss = value.dataSync()[0]; // a scalar read: cheap on wasm/cpu, where ops run synchronously
      if (!Number.isFinite(loss)) {
        throw new TrainingDivergedError(
          `loss became ${loss} at step ${step} — lower the learning rate (it was ${lr.toPrecision(3)}; try ${(lr / 3).toPrecision(2)})` +
            `${this.gradClip > 0 ? "" : " or turn gradient clipping on (gradClip: 1)"}. The weights are those from before this step.`,
          step,
          loss,
        );
      }
      let g = this.params.map((v) => grads[v.name]);
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

/** Train a task (see the top of this file). */
export async function train<B>(task: TrainingTask<B>, options: TrainOptions): Promise<TrainResult> {
  const steps = options.steps;
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`train: steps must be a positive integer, got ${steps}.`);
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
  const last = options.stopAfter ?? steps;
  if (!(Number.isInteger(last) && last >= 1 && last <= steps)) throw new Error(`train: stopAfter must be a whole number from 1 to steps (${steps}), got ${options.stopAfter}.`);
  const random = options.seed !== undefined ? new Rng(options.seed) : rng().fork();
  const checkpoints = new Set(options.checkpointAt ?? []);
  for (const c of checkpoints) {
    if (!(Number.isInteger(c) && c >= 0 && c <= steps)) throw new Error(`train: checkpointAt must hold whole numbers from 0 to steps (${steps}), got ${c}.`);
  }
  if (checkpoints.size > 0 && !options.onCheckpoint) throw new Error("train: checkpointAt needs onCheckpoint(step), the function to call at those steps.");
  const trainer = new Trainer(task.params, options);
  const result: TrainResult = { losses: [], valLosses: [], steps: 0, elapsedMs: 0, msPerStep: 0, tokensPerSecond: 0 };
  let start = Date.now();
  const checkpoint = async (step: number) => {
    if (!checkpoints.has(step) || !options.onCheckpoint) return;
    const paused = Date.now();
    await options.onCheckpoint(step);
    start += Date.now() - paused; // checkpoint time does not count as training time
  };
  const finish = () => {
    result.elapsedMs = Date.now() - start;
    result.steps = result.losses.length;
    result.msPerStep = result.steps ? result.elapsedMs / result.steps : 0;
    result.tokensPerSecond = result.elapsedMs ? (result.steps * (task.tokensPerBatch ?? 0) * 1000) / result.elapsedMs : 0;
    return result;
  };
  try {
    await checkpoint(0);
    for (let step = 0; step < last; step++) {
      const rate = learningRate(step, schedule);
      const batch = task.nextBatch(random);
      const loss = trainer.step(() => task.loss(batch, true), rate);
      result.losses.push(loss);
      const info: StepInfo = { step: step + 1, totalSteps: steps, loss, lr: rate, elapsedMs: Date.now() - start };
      if (task.evaluate && ((step + 1) % evalEvery === 0 || step + 1 === last)) {
        info.valLoss = task.evaluate();
        result.valLosses.push({ step: step + 1, loss: info.valLoss });
      }
      if (options.onStep) await options.onStep(info);
      await checkpoint(step + 1);
    }
  } catch (err) {
    if (err instanceof TrainingDivergedError) err.result = finish();
    throw err;
  } finally {
    trainer.dispose();
  }
  return finish();
}
