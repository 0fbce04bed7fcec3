/**
 * One data-parallel worker (dataParallel.ts): a copy of the model in a thread of its own, with
 * its own tfjs (on the threads the main thread gives it, usually one). Per step: the loss and
 * gradients of its shard of the batch with the weights in shared memory, then — once every
 * worker has its gradients — the sum, clipping and AdamW update of its share of the weights.
 *
 * Messages in:  init (a new run: the model, the shared buffers) → ready
 *               step (one shard)                                → done | error
 */
import { performance } from "perf_hooks";
import { parentPort, workerData } from "worker_threads";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../backend";
import { GPT } from "../model/gpt";
import type { GPTConfig } from "../model/config";
import { seed } from "../random";
import { adamWArrays, adamWConstants } from "./optimizer";
import { CONTROL, ReplicaInit, ShardMessage, WorkerReply, shareOf } from "./dataParallel";

interface Run {
  init: ReplicaInit;
  model: GPT;
  /** The replica's trained variables, in the task's order. */
  trained: tf.Variable[];
  /** Where each trained weight starts in the concatenated gradients and moments, and their total size. */
  starts: number[];
  total: number;
  weights: Float32Array;
  control: Int32Array;
  scalars: Float64Array;
}

let run: Run | null = null;

function start(init: ReplicaInit): void {
  run?.model.dispose();
  const weights = new Float32Array(init.weights);
  const model = new GPT(init.config as Partial<GPTConfig>, { seed: 0 });
  const values = new Map<string, tf.Tensor>();
  init.names.forEach((name, i) => values.set(name, tf.tensor(weights.subarray(init.offsets[i], init.offsets[i] + tf.util.sizeFromShape(init.shapes[i])), init.shapes[i])));
  model.setWeights(values, "the main thread's weights");
  values.forEach((t) => t.dispose());
  model.freeze(init.frozen);
  const vars = model.weights();
  const trained = init.trainable.map((i) => vars.get(init.names[i]) as tf.Variable);
  const starts: number[] = [];
  let at = 0;
  for (const v of trained) {
    starts.push(at);
    at += v.size;
  }
  run = { init, model, trained, starts, total: at, weights, control: new Int32Array(init.control), scalars: new Float64Array(init.scalars) };
}

/** Wait until all `parties` workers arrive (a generation barrier in shared memory); throws if one of them failed. */
function barrier(control: Int32Array, parties: number): void {
  const generation = Atomics.load(control, CONTROL.generation);
  if (Atomics.add(control, CONTROL.count, 1) === parties - 1) {
    Atomics.store(control, CONTROL.count, 0);
    Atomics.add(control, CONTROL.generation, 1);
    Atomics.notify(control, CONTROL.generation);
    return;
  }
  while (Atomics.load(control, CONTROL.generation) === generation) {
    if (Atomics.load(control, CONTROL.abort)) throw new Error("another data-parallel worker failed");
    Atomics.wait(control, CONTROL.generation, generation, 200);
  }
}

function abort(control: Int32Array): void {
  Atomics.store(control, CONTROL.abort, 1);
  Atomics.notify(control, CONTROL.generation);
}

/** This worker's shard: the loss, and the gradients into its gradient buffer. */
function gradients(r: Run, message: ShardMessage): number {
  const { init, model, trained, weights } = r;
  // the weights as the last update left them
  trained.forEach((v, j) => {
    const i = init.trainable[j];
    tf.tidy(() => v.assign(tf.tensor(weights.subarray(init.offsets[i], init.offsets[i] + v.size), v.shape)));
  });
  if (message.seed !== undefined) seed(message.seed); // dropout: same seed, same masks
  const b = message.batch;
  const out = new Float32Array(init.gradients[message.slot]);
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => model.loss(b.ids, b.targets, { shape: [b.batchSize, b.length], attentionMask: b.attentionMask, prefixLengths: b.prefixLengths, training: message.training }),
      trained,
    );
    trained.forEach((v, j) => out.set(grads[v.name].dataSync() as Float32Array, r.starts[j]));
    return value.dataSync()[0];
  });
}

/** Sum, clip and update this worker's share of the trained weights (after the first barrier). */
function update(r: Run, message: ShardMessage): boolean {
  const { init, trained, starts, weights, control, scalars } = r;
  const { slot, parties, shares } = message;
  const [from, to] = shareOf(r.total, slot, parties);
  let batchLoss = 0;
  for (let k = 0; k < parties; k++) batchLoss += shares[k] * scalars[k];
  if (!Number.isFinite(batchLoss)) return false; // every worker sees the same sum: none updates
  // g = Σₖ shareₖ·gₖ over this worker's share, k in order
  const f = Math.fround;
  const g = new Float32Array(to - from);
  for (let k = 0; k < parties; k++) {
    const src = new Float32Array(init.gradients[k], from * 4, to - from);
    const w = f(shares[k]);
    for (let i = 0; i < g.length; i++) g[i] = f(g[i] + f(w * src[i]));
  }
  const maxNorm = init.optimizer.gradClip;
  if (maxNorm > 0) {
    let squares = 0;
    for (let i = 0; i < g.length; i++) squares += g[i] * g[i];
    scalars[parties + slot] = squares;
    barrier(control, parties);
    let sum = 0;
    for (let k = 0; k < parties; k++) sum += scalars[parties + k];
    const norm = f(Math.sqrt(sum));
    const scale = f(maxNorm / Math.max(norm, f(maxNorm)));
    if (scale !== 1) for (let i = 0; i < g.length; i++) g[i] = f(g[i] * scale);
  }
  const m = new Float32Array(init.m);
  const v = new Float32Array(init.v);
  trained.forEach((p, j) => {
    const a = Math.max(from, starts[j]);
    const b = Math.min(to, starts[j] + p.size);
    if (a >= b) return;
    const at = init.offsets[init.trainable[j]] - starts[j]; // concatenated index → place in `weights`
    const k = adamWConstants(init.optimizer, message.t, message.lr, p.rank);
    adamWArrays(weights.subarray(a + at, b + at), g.subarray(a - from, b - from), m.subarray(a, b), v.subarray(a, b), k);
  });
  return true;
}

function step(message: ShardMessage): WorkerReply {
  const r = run;
  if (!r) throw new Error("data-parallel worker: a step before init.");
  const t0 = performance.now();
  try {
    const loss = gradients(r, message);
    r.scalars[message.slot] = loss;
    barrier(r.control, message.parties);
    const updated = update(r, message);
    return { type: "done", loss, updated, ms: performance.now() - t0 };
  } catch (err) {
    abort(r.control); // release the others from their barrier
    throw err;
  }
}

const ready = setupBackend({ verbose: false, threads: (workerData as { threads: number }).threads });

parentPort!.on("message", (message: ReplicaInit | ShardMessage) => {
  ready
    .then((backend): WorkerReply => {
      if (message.type === "init") {
        start(message);
        return { type: "ready", threads: backend.threads };
      }
      return step(message);
    })
    .catch((err: unknown): WorkerReply => ({ type: "error", message: err instanceof Error ? err.message : String(err) }))
    .then((reply) => parentPort!.postMessage({ ...reply, id: message.id }));
});
