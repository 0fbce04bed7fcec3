/**
 * Data parallelism: one training step on several cores, the way large models are trained
 * (on many GPUs there; on a laptop's cores here).
 *
 *   main thread                          K workers (threads, each with its own tfjs and threads)
 *   ───────────                          ─────────────────────────────────────────────────────
 *   draw the batch, cut its rows   ──►   worker k: loss and gradients of shard k, with the
 *   into K shards                        weights in shared memory; gradients into shared memory
 *                                        ── wait for all K (a barrier) ──
 *                                        worker k, for its 1/K of the weights ("ZeRO-1"):
 *                                          g = Σⱼ (nⱼ/n)·gⱼ in the order j = 0, 1, …  (nⱼ: shard j's counted targets)
 *                                          clip by the global norm (a second barrier sums the K parts)
 *                                          AdamW (optimizer.ts's adamWArrays) on its weights and moments
 *   copy the new weights into the  ◄──   done
 *   model's variables
 *
 * The loss is the mean over a batch's counted targets, so the weighted sum is exactly the whole
 * batch's gradient, up to float rounding: the sums run in another order than in one process.
 * Runs with the same number of workers give the same numbers; across worker counts the losses
 * agree within 1e-5 at first and drift apart slowly, as any change of rounding does
 * (tests/data-parallel.test.ts).
 *
 * Workers start once per process (about 1 s: each loads tfjs and the course's lib) and are kept
 * for later runs; they never keep Node alive when idle, and a kernel restart ends them with the
 * process. A worker that fails ends the step with its error (the others are released, nothing
 * hangs) and is replaced in the next run. A task takes part when it says how to copy itself
 * (`TrainingTask.replica`): the GPT tasks do (next token, instruction following, in-context).
 */
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import type { Worker as NodeWorker } from "worker_threads";
import { wasmThreadsUnavailableReason } from "../backend/wasmThreads";
import type { GPT } from "../model/gpt";
import type { AdamWOptions } from "./optimizer";

/** A GPT batch as its loss reads it: rows (B, T) of ids and targets (−1 = not counted). */
export interface LossBatch {
  ids: Int32Array;
  targets: Int32Array;
  batchSize: number;
  length: number;
  attentionMask?: Int32Array;
  prefixLengths?: number[];
}

/** How a task copies itself to the workers: its GPT, and the loss inputs of one of its batches. */
export interface TaskReplica<B> {
  model: GPT;
  lossBatch(batch: B): LossBatch;
}

/** The optimiser settings a data-parallel run applies (train()'s). */
export interface DataParallelOptions extends AdamWOptions {
  /** Clip gradients to this global norm (0 = off). */
  gradClip: number;
}

// ---------------------------------------------------------------- shared memory and messages

/** Int32 control words: a barrier (count, generation) and the abort flag. */
export const CONTROL = { count: 0, generation: 1, abort: 2, size: 3 } as const;

/** @internal what every worker knows about a run */
export interface ReplicaInit {
  type: "init";
  /** Numbers each request; the reply carries it back (a late reply to an abandoned request is ignored). */
  id?: number;
  config: object;
  /** Every weight of the model, in the store's order, with its shape and place in `weights`. */
  names: string[];
  shapes: number[][];
  offsets: number[];
  frozen: string[];
  /** Indices (into names) of the trained weights, in the task's order; their gradients and moments are concatenated in this order. */
  trainable: number[];
  weights: SharedArrayBuffer;
  /** One gradient buffer per worker (the trained weights, concatenated). */
  gradients: SharedArrayBuffer[];
  /** AdamW's moments m and v of the trained weights, concatenated. */
  m: SharedArrayBuffer;
  v: SharedArrayBuffer;
  /** Int32 control words (CONTROL) and per-worker float64 scalars: K losses, then K partial sums of squares. */
  control: SharedArrayBuffer;
  scalars: SharedArrayBuffer;
  optimizer: DataParallelOptions;
}
/** @internal */
export interface ShardMessage {
  type: "step";
  id?: number;
  /** This worker's place among the `parties` workers of this step. */
  slot: number;
  parties: number;
  /** Each shard's share of the batch's counted targets (the weights of the gradient sum). */
  shares: number[];
  batch: LossBatch;
  training: boolean;
  seed?: number;
  lr: number;
  /** The number of this update (1, 2, …): AdamW's bias correction. */
  t: number;
}
/** @internal */
export type WorkerReply = ({ type: "ready"; threads: number } | { type: "done"; loss: number; updated: boolean; ms: number } | { type: "error"; message: string }) & { id?: number };

/** The part [from, to) of n numbers that worker `slot` of `parties` updates. */
export function shareOf(n: number, slot: number, parties: number): [number, number] {
  return [Math.floor((slot * n) / parties), Math.floor(((slot + 1) * n) / parties)];
}

// ---------------------------------------------------------------- the worker pool

interface PoolWorker {
  worker: NodeWorker;
  /** Threads of the worker's own wasm backend. */
  threads: number;
  pending: { id: number; resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | null;
  requests: number;
  dead: Error | null;
  /** Called when this worker dies: releases the others from a barrier. */
  onDeath?: () => void;
}

const pool: PoolWorker[] = [];

function bootstrap(): string {
  // the course runs its TypeScript as is (tslab, ts-node, vitest); a compiled copy would have the .js beside it
  const fs = require("fs") as typeof import("fs");
  const ts = path.join(__dirname, "dataParallelWorker.ts");
  const entry = fs.existsSync(ts) ? ts : path.join(__dirname, "dataParallelWorker.js");
  const register = entry.endsWith(".ts") ? `require(${JSON.stringify(require.resolve("ts-node"))}).register({ transpileOnly: true, skipProject: true, compilerOptions: { module: "commonjs", target: "es2020", esModuleInterop: true } });\n` : "";
  return register + `require(${JSON.stringify(entry)});`;
}

function spawn(threads: number): PoolWorker {
  const { Worker } = require("worker_threads") as typeof import("worker_threads");
  const w: PoolWorker = { worker: new Worker(bootstrap(), { eval: true, workerData: { threads } }), threads, pending: null, requests: 0, dead: null };
  w.worker.unref(); // an idle pool never keeps Node alive
  const fail = (err: Error) => {
    if (!w.dead) w.dead = err;
    w.onDeath?.();
    const p = w.pending;
    w.pending = null;
    p?.reject(err);
  };
  w.worker.on("message", (r: WorkerReply) => {
    const p = w.pending;
    if (!p || r.id !== p.id) return; // the reply to a request nobody waits for any more
    w.pending = null;
    w.worker.unref();
    p?.resolve(r);
  });
  w.worker.on("error", (err) => fail(new Error(`a data-parallel worker failed: ${err.message}`)));
  w.worker.on("exit", (code) => fail(new Error(`a data-parallel worker stopped (exit code ${code})`)));
  return w;
}

async function send(w: PoolWorker, message: ReplicaInit | ShardMessage): Promise<WorkerReply> {
  if (w.dead) throw w.dead;
  if (w.pending) throw new Error("a data-parallel worker is still busy with another training run: await that train() first (or use workers: 1).");
  const reply = await new Promise<WorkerReply>((resolve, reject) => {
    const id = ++w.requests;
    w.pending = { id, resolve, reject };
    w.worker.ref(); // keep Node alive while a reply is due
    w.worker.postMessage({ ...message, id });
  });
  if (reply.type === "error") throw new Error(`a data-parallel worker failed: ${reply.message}`);
  return reply;
}

/** `count` workers on `threads` threads each: live ones are kept, dead ones (or ones on another thread count) replaced. */
function workers(count: number, threads: number): PoolWorker[] {
  for (let i = 0; i < pool.length; i++) {
    if (pool[i].dead || pool[i].threads !== threads) {
      if (!pool[i].dead) void pool[i].worker.terminate();
      pool[i] = spawn(threads);
    }
  }
  while (pool.length < count) pool.push(spawn(threads));
  return pool.slice(0, count);
}

/** Stop every worker (a later data-parallel run starts new ones). */
export async function stopWorkers(): Promise<void> {
  const all = pool.splice(0);
  await Promise.all(all.map((w) => w.worker.terminate()));
}

/** Workers alive in this process. */
export function workerCount(): number {
  return pool.filter((w) => !w.dead).length;
}

// ---------------------------------------------------------------- one data-parallel run

/** Why a model cannot be copied to workers, or null when it can. */
export function replicaProblem(model: GPT, params: tf.Variable[]): string | null {
  if (model.params.adapted().length > 0) return "the model has adapters (LoRA) attached";
  const trained = new Set(model.trainableParams());
  if (params.length !== trained.size || params.some((p) => !trained.has(p))) return "the task trains other variables than the model's trainable weights";
  return null;
}

/** The rows [from, to) of a batch. */
function rows(b: LossBatch, from: number, to: number): LossBatch {
  const T = b.length;
  return {
    ids: b.ids.slice(from * T, to * T),
    targets: b.targets.slice(from * T, to * T),
    batchSize: to - from,
    length: T,
    attentionMask: b.attentionMask?.slice(from * T, to * T),
    prefixLengths: b.prefixLengths?.slice(from, to),
  };
}

function counted(targets: Int32Array): number {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] >= 0) n++;
  return n;
}

export class DataParallel {
  /** Each worker's time for its part of the last step (ms). */
  lastWorkerMs: number[] = [];
  /** The threads each worker's backend computes on (fewer than asked where the threaded build cannot start). */
  workerThreads: number[] = [];
  private t = 0;

  private constructor(
    private readonly params: tf.Variable[],
    private readonly init: ReplicaInit,
    private readonly team: PoolWorker[],
  ) {}

  /**
   * Copy `model` to `count` workers, each computing on `threads` threads (tfjs's threaded wasm
   * build: the same numbers on any thread count); `params` (the task's, in its order) are the
   * weights that train.
   */
  static async start(model: GPT, params: tf.Variable[], count: number, optimizer: DataParallelOptions, threads = 1): Promise<DataParallel> {
    if (!(Number.isInteger(count) && count >= 2)) throw new Error(`DataParallel: workers must be a whole number ≥ 2, got ${count}.`);
    const unavailable = wasmThreadsUnavailableReason();
    if (unavailable) throw new Error(`train: workers: ${count} needs worker threads and shared memory, but ${unavailable}. Use workers: 1.`);
    const problem = replicaProblem(model, params);
    if (problem) throw new Error(`train: workers > 1 copies the model to each worker, but ${problem}. Use workers: 1.`);
    const entries = [...model.weights()];
    const offsets: number[] = [];
    let total = 0;
    for (const [, v] of entries) {
      offsets.push(total);
      total += v.size;
    }
    const index = new Map(entries.map(([, v], i) => [v, i]));
    const trainable = params.map((p) => index.get(p) as number);
    const trained = params.reduce((a, p) => a + p.size, 0);
    const init: ReplicaInit = {
      type: "init",
      config: { ...model.config },
      names: entries.map(([n]) => n),
      shapes: entries.map(([, v]) => v.shape),
      offsets,
      frozen: entries.filter(([n]) => model.params.isFrozen(n)).map(([n]) => n),
      trainable,
      weights: new SharedArrayBuffer(4 * total),
      gradients: Array.from({ length: count }, () => new SharedArrayBuffer(4 * trained)),
      m: new SharedArrayBuffer(4 * trained),
      v: new SharedArrayBuffer(4 * trained),
      control: new SharedArrayBuffer(4 * CONTROL.size),
      scalars: new SharedArrayBuffer(8 * 2 * count),
      optimizer,
    };
    const shared = new Float32Array(init.weights);
    entries.forEach(([, v], i) => shared.set(v.dataSync() as Float32Array, offsets[i]));
    const team = workers(count, threads);
    const dp = new DataParallel(params, init, team);
    const control = new Int32Array(init.control);
    for (const w of team) {
      w.onDeath = () => {
        Atomics.store(control, CONTROL.abort, 1);
        Atomics.notify(control, CONTROL.generation);
      };
    }
    const ready = await Promise.all(team.map((w) => send(w, init)));
    dp.workerThreads = ready.map((r) => (r.type === "ready" ? r.threads : 0));
    return dp;
  }

  /**
   * One training step on the workers: the loss of the batch (before the update), and the
   * AdamW update of the weights unless the loss is NaN or infinite (then nothing changes and
   * the caller stops). `seed` fixes dropout's masks.
   */
  async step(batch: LossBatch, lr: number, training: boolean, seed?: number): Promise<number> {
    const gone = this.team.find((w) => w.dead);
    if (gone) throw gone.dead as Error; // before any worker waits for it at a barrier
    const K = Math.min(this.team.length, batch.batchSize);
    const per = Math.ceil(batch.batchSize / K);
    const shards = Array.from({ length: K }, (_, k) => rows(batch, Math.min(batch.batchSize, k * per), Math.min(batch.batchSize, (k + 1) * per))).filter((s) => s.batchSize > 0 && counted(s.targets) > 0);
    if (shards.length === 0) throw new Error("crossEntropy: every target is ignored (< 0) — nothing to learn from in this batch.");
    const counts = shards.map((s) => counted(s.targets));
    const n = counts.reduce((a, c) => a + c, 0);
    const shares = counts.map((c) => c / n);
    const control = new Int32Array(this.init.control);
    Atomics.store(control, CONTROL.count, 0);
    Atomics.store(control, CONTROL.abort, 0);
    const t = this.t + 1;
    const results = await Promise.allSettled(
      shards.map((shard, k) =>
        send(this.team[k], { type: "step", slot: k, parties: shards.length, shares, batch: shard, training, seed: seed === undefined ? undefined : (seed * 31 + k) % 2147483647, lr, t }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      // the first worker's own error, not the "another worker failed" of those it released
      const own = results.find((r): r is PromiseRejectedResult => r.status === "rejected" && !/another data-parallel worker failed/.test(String(r.reason?.message)));
      throw (own ?? failed).reason;
    }
    const replies = results.map((r) => (r as PromiseFulfilledResult<WorkerReply>).value as Extract<WorkerReply, { type: "done" }>);
    this.lastWorkerMs = replies.map((r) => r.ms);
    const loss = replies.reduce((a, r, k) => a + shares[k] * r.loss, 0);
    if (!replies.every((r) => r.updated)) return loss; // not finite: the workers left the weights alone
    this.t = t;
    const shared = new Float32Array(this.init.weights);
    this.params.forEach((p, j) => {
      const i = this.init.trainable[j];
      tf.tidy(() => p.assign(tf.tensor(shared.subarray(this.init.offsets[i], this.init.offsets[i] + p.size), p.shape)));
    });
    return loss;
  }

  /** End this run (the workers keep their copy of the model until the next run replaces it). */
  dispose(): void {
    for (const w of this.team) w.onDeath = undefined;
  }
}
