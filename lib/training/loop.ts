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
 *
 * With 2 threads or more, the GPT tasks compute each step on 2 data-parallel workers instead
 * (dataParallel.ts: the same loss and update, up to float rounding); `workers: 1` keeps it here.
 */
import * as tf from "@tensorflow/tfjs";
import { DATA_PARALLEL_WORKERS, currentBackend } from "../backend";
import { Rng, rng } from "../random";
import { AdamW, AdamWOptions, clipByGlobalNorm } from "./optimizer";
import { DataParallel, TaskReplica, replicaProblem } from "./dataParallel";
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
  /** How to copy the task to data-parallel workers (train's `workers` option); tasks without it train in one process. */
  replica?: TaskReplica<B>;
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
  /**
   * Data parallelism (dataParallel.ts): each step's batch is shared among this many worker
   * threads, which share the backend's threads; their gradients are summed and each updates
   * its share of the weights. "auto" (the default; or the env var TINY_LLM_WORKERS): 2 workers
   * when the backend has 2 threads or more (setupBackend) and the task can be copied (the GPT
   * tasks: next token, instruction following, in-context) — else, and with 1, this process
   * alone. The losses match one process to float rounding (within 1e-5 at first) and repeat
   * exactly with the same number of workers, whatever the cores.
   */
  workers?: number | "auto";
}

export interface TrainResult {
  /** Data-parallel workers that computed the steps (1: this process). */
  workers: number;
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
    checkHasParams(params);
    this.optimizer = new AdamW(params, options);
    this.gradClip = options.gradClip ?? 1;
  }

  step(lossFn: () => tf.Scalar, lr: number): number {
    const step = this.steps;
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, this.params);
      const loss = value.dataSync()[0]; // a scalar read: cheap on wasm/cpu, where ops run synchronously
      if (!Number.isFinite(loss)) throw divergedError(loss, step, lr, this.gradClip);
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

function checkHasParams(params: tf.Variable[]): void {
  if (params.length === 0) throw new Error("train: the task has no parameters to update — is everything frozen? Unfreeze some (model.unfreeze()) or pass the ones to train.");
}

function divergedError(loss: number, step: number, lr: number, gradClip: number): TrainingDivergedError {
  return new TrainingDivergedError(
    `loss became ${loss} at step ${step} — lower the learning rate (it was ${lr.toPrecision(3)}; try ${(lr / 3).toPrecision(2)})` +
      `${gradClip > 0 ? "" : " or turn gradient clipping on (gradClip: 1)"}. The weights are those from before this step.`,
    step,
    loss,
  );
}

/** The worker count asked for: the option, else TINY_LLM_WORKERS, else "auto". */
export function trainWorkers(option?: number | "auto"): number | "auto" {
  const env = process.env.TINY_LLM_WORKERS;
  const value = option ?? (env !== undefined && env !== "" ? (env === "auto" ? "auto" : Number(env)) : "auto");
  if (value !== "auto" && !(Number.isInteger(value) && value >= 1 && value <= 64)) {
    throw new Error(`train: workers must be "auto" or a whole number from 1 to 64, got ${option ?? `TINY_LLM_WORKERS=${env}`}. Use 1 (this process alone), "auto" or the number of cores, e.g. 2.`);
  }
  return value;
}

/**
 * Whether "auto" trains on DATA_PARALLEL_WORKERS (2) workers: when the backend runs on two
 * threads or more (setupBackend). Always two, not one per core, so that a 4-core laptop gets the
 * numbers of a 2-core one: each worker then computes on half the threads, and the threaded build
 * gives the same numbers on any thread count.
 */
function parallelBackend(): boolean {
  const backend = currentBackend();
  return !!backend && backend.name === "wasm" && backend.threads >= DATA_PARALLEL_WORKERS && tf.getBackend() === "wasm";
}

/** Threads for each of `workers` workers: the backend's threads shared among them, at least one each. */
function threadsPerWorker(workers: number): number {
  const backend = currentBackend();
  return Math.max(1, Math.floor((backend?.name === "wasm" ? backend.threads : 1) / workers));
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
  const asked = trainWorkers(options.workers);
  const copyProblem = task.replica ? replicaProblem(task.replica.model, task.params) : "this task cannot be copied (the GPT tasks can: nextTokenTask, instructionTask, inContextTask)";
  const workers = asked === "auto" ? (copyProblem || !parallelBackend() ? 1 : DATA_PARALLEL_WORKERS) : asked;
  if (workers > 1 && copyProblem) {
    throw new Error(`train: workers: ${workers} shares each batch among copies of the model, but ${copyProblem}. Use workers: 1 or "auto"${options.workers === undefined ? " (TINY_LLM_WORKERS is set)" : ""}.`);
  }
  checkHasParams(task.params);
  const gradClip = options.gradClip ?? 1;
  const replica = workers > 1 ? task.replica : undefined;
  const parallel = replica ? await DataParallel.start(replica.model, task.params, workers, { beta1: options.beta1, beta2: options.beta2, eps: options.eps, weightDecay: options.weightDecay, gradClip }, threadsPerWorker(workers)) : null;
  const trainer = parallel ? null : new Trainer(task.params, options);
  // dropout on the workers: masks from this seed (the loop's, else lib/random's global generator)
  const dropoutSeed = replica && replica.model.config.dropout > 0 ? options.seed ?? rng().int(0, 2 ** 31 - 1) : 0;
  const result: TrainResult = { workers: parallel ? workers : 1, losses: [], valLosses: [], steps: 0, elapsedMs: 0, msPerStep: 0, tokensPerSecond: 0 };
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
      let loss: number;
      if (parallel && replica) {
        loss = await parallel.step(replica.lossBatch(batch), rate, true, (dropoutSeed * 7919 + step) % 2147483647);
        if (!Number.isFinite(loss)) throw divergedError(loss, step, rate, gradClip);
      } else {
        loss = (trainer as Trainer).step(() => task.loss(batch, true), rate);
      }
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
    trainer?.dispose();
    parallel?.dispose();
  }
  return finish();
}
