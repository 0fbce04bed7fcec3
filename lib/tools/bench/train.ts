/**
 * `npm run bench -- train [--steps=N] [--no-baseline] [--no-levers] [--no-torch]`
 *
 * Training speed of the `bench-small` config (pre-LN GPT, vocab 65, context 64,
 * dModel 128, 4 heads, 2 layers, FFN 4×, GELU, batch 16, Adam, no dropout) on
 * the course's backend, on every core (setupBackend's default) and on one thread
 * (a second process: the thread count is fixed when the backend starts; `--threads=N`
 * runs only N). Figures (one JSON line each):
 *  - train-step:   median ms per training step (forward, backward, Adam) and
 *                  tokens/s — measured in two blocks, before and after the
 *                  PyTorch run, the better block reported (the machines are shared);
 *  - threads:      the same step on one thread (another process), the speed-up of
 *                  every core over it, and whether the two runs' losses are bit-identical;
 *  - data-parallel-bound: one process per core, each a one-thread step on its share
 *                  of the batch, all at once: the fastest a data-parallel step could
 *                  be (no gradient exchange counted);
 *  - data-parallel: train()'s data-parallel path (2 workers on half the threads each,
 *                  training/dataParallel.ts): the same steps, with the gradient sum and
 *                  the sharded AdamW counted, in two blocks beside the threaded ones
 *                  (the better reported), and how far its losses are from one process's;
 *  - matmul-limit: the same step's matMul calls (same shapes, same count)
 *                  replayed alone: the time a step would take if everything but
 *                  the matMuls were free;
 *  - torch:        PyTorch on CPU (1 thread) for the same model and step, in the
 *                  same run, and our ratio to it on every core and on one thread
 *                  (target: ≥ 0.5× its throughput); skipped when PyTorch is not installed;
 *  - baseline:     a straightforward tfjs implementation (built-in ops and their
 *                  gradients, batched matMul attention) of the same step;
 *  - lever:        each optimisation in isolation at this model's shapes:
 *                  the straightforward way vs the way lib/model does it.
 */
import * as tf from "@tensorflow/tfjs";
import { performance } from "perf_hooks";
import { DATA_PARALLEL_WORKERS, setupBackend } from "../../backend";
import { GPT } from "../../model/gpt";
import { GPTConfig, PRESETS } from "../../model/config";
import { DataParallel } from "../../training/dataParallel";
import { runReference, torchUnavailableReason } from "../reference/torch";
import { gelu, linear } from "../../model/layers";
import { installFastKernels, originalWasmKernel, transpose2d } from "../../model/fastOps";
import { Rng } from "../../random";
import { Trainer, sampleBatch } from "../../train";
import { median } from "../../notebook/timing";
import { Emit, benchCount, benchOption } from "../cli/bench";
import { spawn } from "child_process";
import * as path from "path";

const DEFAULT_BATCH = 16;

/** Time `steps` calls of fn (awaited: a data-parallel step is async) after `warmup` calls; returns per-call milliseconds. */
async function timeSteps(fn: () => void | Promise<void>, steps: number, warmup = 3): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Record the shapes of every matMul run by fn (by wrapping the backend kernel). */
function recordMatMuls(fn: () => void): [number[], number[]][] {
  const backend = tf.getBackend();
  const kernel = tf.getKernel("BatchMatMul", backend);
  if (!kernel) return [];
  const calls: [number[], number[]][] = [];
  const original = kernel.kernelFunc;
  const spy = (args: Parameters<typeof original>[0]) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    calls.push([a.shape.slice(), b.shape.slice()]);
    return original(args);
  };
  (kernel as { kernelFunc: typeof original }).kernelFunc = spy;
  try {
    fn();
  } finally {
    (kernel as { kernelFunc: typeof original }).kernelFunc = original;
  }
  return calls;
}

/** Time the recorded matMuls alone (fresh operands of the same shapes, like in a step). */
async function replayMatMuls(calls: [number[], number[]][], repeats: number): Promise<{ ms: number; gflop: number }> {
  const inputs = calls.map(([a, b]) => [tf.randomNormal(a), tf.randomNormal(b)]);
  let gflop = 0;
  for (const [a, b] of calls) gflop += (2 * a.reduce((x, y) => x * y, 1) * b[b.length - 1]) / 1e9;
  const run = () => {
    for (const [a, b] of inputs) {
      const bb = tf.add(b, 0); // a new operand each time, as in training (no cached weight packing; tf.clone would share b's data)
      tf.matMul(a, bb).dispose();
      bb.dispose();
    }
  };
  // Subtract the cost of the copies themselves.
  const copyOnly = () => {
    for (const [, b] of inputs) tf.add(b, 0).dispose();
  };
  const t = median(await timeSteps(run, repeats, 1)) - median(await timeSteps(copyOnly, repeats, 1));
  tf.dispose(inputs);
  return { ms: t, gflop };
}

/** A straightforward tfjs GPT loss: built-in ops and gradients, 3-D/4-D tensors, batched attention. */
function baselineLoss(model: GPT, ids: Int32Array, targets: Int32Array, B: number, T: number): tf.Scalar {
  const c = model.config;
  const p = (n: string) => model.params.get(n);
  const H = c.nHeads;
  const C = c.dModel;
  const d = C / H;
  const ln = (x: tf.Tensor, name: string) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, c.layerNormEps))), p(`${name}.weight`)), p(`${name}.bias`));
  };
  const lin = (x: tf.Tensor, name: string) => tf.add(tf.matMul(x.reshape([-1, x.shape[x.rank - 1]]), p(`${name}.weight`)), p(`${name}.bias`));
  const onehot = tf.oneHot(tf.tensor1d(ids, "int32"), c.vocabSize);
  let x: tf.Tensor = tf.add(tf.matMul(onehot, p("wte.weight")).reshape([B, T, C]), tf.slice(p("wpe.weight"), [0, 0], [T, C]));
  const mask = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
  for (let i = 0; i < c.nLayers; i++) {
    const pre = `h.${i}.`;
    const qkv = lin(ln(x, `${pre}ln_1`), `${pre}attn.c_attn`).reshape([B, T, 3, H, d]);
    const [q, k, v] = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4])); // (B, H, T, d)
    const att = tf.softmax(tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(d)), tf.mul(tf.sub(1, mask), -1e9)));
    const y = tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]).reshape([B * T, C]);
    x = tf.add(x, lin(y, `${pre}attn.c_proj`).reshape([B, T, C]));
    const h = lin(ln(x, `${pre}ln_2`), `${pre}mlp.c_fc`);
    const g = tf.mul(tf.mul(h, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(h, tf.mul(tf.pow(h, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));
    x = tf.add(x, lin(g, `${pre}mlp.c_proj`).reshape([B, T, C]));
  }
  const logits = tf.matMul(ln(x, "ln_f").reshape([B * T, C]), p("wte.weight"), false, true);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, "int32"), c.vocabSize), logits) as tf.Scalar;
}

/** Minimum over `n` runs of fn (after one warm-up), in ms — robust to other processes. */
function best(fn: () => void, n = 15): number {
  fn();
  let m = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    m = Math.min(m, performance.now() - t0);
  }
  return m;
}

/** Each optimisation alone, at the bench-small shapes: [name, what, slow way, fast way]. */
function levers(emit: Emit): void {
  installFastKernels();
  const r = new Rng(1);
  const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()), shape);
  const x = rand([1024, 128]);
  const h = rand([1024, 512]);
  const dy384 = rand([1024, 384]);
  const w384 = rand([128, 384]);
  const fresh = (t: tf.Tensor) => tf.add(t, 0); // a new operand, as in training (no cached packing; tf.clone would share t's data)
  const run = (f: () => tf.TensorContainer) => () => tf.dispose(tf.tidy(f));
  const lever = (name: string, what: string, slow: () => void, fast: () => void) => {
    const s = best(slow);
    const f = best(fast);
    emit({ figure: "lever", lever: name, what, slow_ms: +s.toFixed(3), fast_ms: +f.toFixed(3), speedup: +(s / f).toFixed(2) });
  };
  lever("explicit-transpose", "dx = dy @ Wᵀ for dy (1024, 384), W (128, 384): matMul(…, transposeB) vs transpose first",
    run(() => tf.matMul(dy384, fresh(w384), false, true)),
    run(() => tf.matMul(dy384, transpose2d(fresh(w384)))));
  lever("transposed-a", "dW = xᵀ @ dy for x (1024, 128), dy (1024, 384): matMul(…, transposeA) vs transpose first",
    run(() => tf.matMul(x, fresh(dy384), true, false)),
    run(() => tf.matMul(transpose2d(x), fresh(dy384))));
  lever("pack-narrow-operand", "dW = xᵀ @ dy for x (1024, 128), dy (1024, 512): pack dy (xᵀ @ dy) vs pack x ((dyᵀ @ x)ᵀ)",
    run(() => tf.matMul(transpose2d(x), fresh(h))),
    run(() => transpose2d(tf.matMul(transpose2d(fresh(h)), x))));
  lever("transpose2d", "transpose (1024, 512): 2-D transpose vs the same move as a 3-D transpose",
    run(() => tf.transpose(h)),
    run(() => transpose2d(h)));
  lever("column-sum", "bias gradient Σ_rows dy for (1024, 512): tf.sum(·, 0) vs transpose then sum rows",
    run(() => tf.sum(h, 0)),
    run(() => tf.sum(transpose2d(h), 1)));
  lever("gelu-sigmoid", "GELU forward on (1024, 512): GPT-2's tanh formula vs the equal sigmoid form",
    run(() => tf.mul(tf.mul(h, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(h, tf.mul(tf.pow(h, 3), 0.044715)), Math.sqrt(2 / Math.PI)))))),
    run(() => gelu(h)));
  const ids = Int32Array.from({ length: 1024 }, () => r.int(65));
  const wte = rand([65, 128]);
  lever("embedding-one-hot", "token embedding lookup (1024 ids, 65 × 128 table): tf.gather (no wasm gradient) vs one-hot @ table",
    run(() => tf.gather(wte, tf.tensor1d(ids, "int32"))),
    run(() => tf.matMul(tf.oneHot(tf.tensor1d(ids, "int32"), 65), wte)));
  const wfc = tf.variable(rand([128, 512]));
  const bfc = tf.variable(rand([512]));
  lever("custom-grad-linear", "forward + backward of the c_fc layer (1024, 128) → (1024, 512): tfjs autograd vs hand-written gradient",
    run(() => tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.add(tf.matMul(a, w), b)))([x, wfc, bfc])),
    run(() => tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(linear(a, w, b)))([x, wfc, bfc])));
  // Attention: 64 heads (16 sequences × 4) of 64 positions × 32 dims.
  const q = rand([64, 64, 32]);
  const kT = rand([64, 32, 64]);
  lever("per-head-2d-matmul", "attention scores q kᵀ for 64 heads of (64, 32): one batched 3-D matMul vs 64 2-D matMuls (split included)",
    run(() => tf.matMul(q, kT)),
    run(() => {
      const qs = tf.split(q.reshape([64 * 64, 32]), 64, 0);
      const ks = tf.split(kT.reshape([64 * 32, 64]), 64, 0);
      return qs.map((a, i) => tf.matMul(a as tf.Tensor2D, ks[i] as tf.Tensor2D));
    }));
  const slowSlice = originalWasmKernel("Slice");
  if (slowSlice) {
    const packed = rand([16 * 12 * 64, 32]);
    const backend = tf.backend();
    const cut = (useOriginal: boolean) => () => {
      for (let i = 0; i < 192; i++) {
        if (useOriginal) {
          const info = slowSlice({ inputs: { x: packed }, attrs: { begin: [i * 64, 0], size: [64, 32] }, backend }) as tf.TensorInfo;
          backend.disposeData(info.dataId);
        } else {
          tf.slice(packed, [i * 64, 0], [64, 32]).dispose();
        }
      }
    };
    lever("fast-slice", "cut a (12288, 32) matrix into 192 per-head blocks: tfjs 4.22's wasm Slice (copies the whole input each time) vs copying only the block", cut(true), cut(false));
    packed.dispose();
  }
  const copyingIdentity = originalWasmKernel("Identity");
  if (copyingIdentity) {
    const shared = tf.getKernel("Identity", "wasm")!.kernelFunc;
    const withIdentity = (kernelFunc: tf.KernelFunc, f: () => void) => () => {
      tf.unregisterKernel("Identity", "wasm");
      tf.registerKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc });
      try {
        f();
      } finally {
        tf.unregisterKernel("Identity", "wasm");
        tf.registerKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc: shared });
      }
    };
    const ffn = run(() => tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(gelu(linear(a, w, b))))([x, wfc, bfc]));
    lever("shared-clone", "forward + backward of c_fc + GELU (1024, 128) → (1024, 512), whose gradients keep 5 tensors: tfjs 4.22's wasm Identity (copies each) vs sharing their data", withIdentity(copyingIdentity, ffn), withIdentity(shared, ffn));
  }
  tf.dispose([x, h, dy384, w384, wte, wfc, bfc, q, kT]);
}

/** The train-step figure of a one-thread run of this benchmark, in a process of its own. */
function oneThreadRun(steps: number, batch: number): Promise<{ ms_per_step: number; losses: number[] }> {
  const cli = path.join(__dirname, "..", "cli", "bench.ts");
  const args = [require.resolve("ts-node/dist/bin"), "--transpile-only", cli, "train", "--threads=1", `--steps=${steps}`, `--batch=${batch}`, "--no-torch", "--no-baseline", "--no-levers", "--no-matmul"];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, TINY_LLM_THREADS: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", () => {
      const line = out.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>).find((j) => j.figure === "train-step");
      if (!line) reject(new Error(`the one-thread run failed: ${err.trim().split("\n").slice(-3).join(" ")}`));
      else resolve({ ms_per_step: line.ms_per_step as number, losses: line.first_losses as number[] });
    });
  });
}

/**
 * train()'s data-parallel path on the same steps (same model seed, same batches): 2 workers on
 * half the threads each, as train() runs them. `block()` times `steps` steps (measured in two
 * blocks beside the threaded ones, like them: the machines are shared).
 */
async function dataParallelRunner(config: Partial<GPTConfig> & { contextLength: number }, tokens: Int32Array, batch: number, threads: number, steps: number) {
  const model = new GPT(config, { seed: 1 });
  const dp = await DataParallel.start(model, model.params.variables(), DATA_PARALLEL_WORKERS, { weightDecay: 0, gradClip: 0 }, Math.max(1, Math.floor(threads / DATA_PARALLEL_WORKERS)));
  const batchRng = new Rng(3);
  const losses: number[] = [];
  const workerMs: number[] = [];
  const step = async () => {
    const loss = await dp.step(sampleBatch(tokens, batch, config.contextLength, batchRng), 1e-3, true);
    if (losses.length < 8) losses.push(loss);
    workerMs.push(Math.max(...dp.lastWorkerMs));
  };
  return {
    losses,
    workerThreads: dp.workerThreads,
    block: (warmup: number) => timeSteps(step, steps, warmup),
    workerMs: () => median(workerMs.slice(3)),
    dispose: () => {
      dp.dispose();
      model.dispose();
    },
  };
}

export async function bench(emit: Emit, args: string[]): Promise<void> {
  const threadsArg = benchOption(args, "threads");
  const info = await setupBackend({ verbose: false, threads: threadsArg === undefined ? undefined : Number(threadsArg) });
  const steps = benchCount(args, "steps", 20);
  const BATCH = benchCount(args, "batch", DEFAULT_BATCH);
  const config = { ...PRESETS["bench-small"] };
  const T = config.contextLength;
  const model = new GPT(config, { seed: 1 });
  const data = new Rng(7);
  const tokens = Int32Array.from({ length: 50_000 }, () => data.int(config.vocabSize));
  const batchRng = new Rng(3);
  const trainer = new Trainer(model.params.variables(), { weightDecay: 0, gradClip: 0 }); // plain Adam, like the PyTorch side
  const lossOf = (b: ReturnType<typeof sampleBatch>) => () => model.loss(b.ids, b.targets, { shape: [BATCH, T], training: true });
  const losses: number[] = [];
  const step = () => {
    const loss = trainer.step(lossOf(sampleBatch(tokens, BATCH, T, batchRng)), 1e-3);
    if (losses.length < 8) losses.push(loss);
  };
  console.error(`train bench: ${info.description}, bench-small, 2 × ${steps} steps…`);
  const before = tf.memory().numTensors;
  const block1 = await timeSteps(step, steps);
  const leaked = tf.memory().numTensors - before;
  const parallelOn = !args.includes("--no-data-parallel") && threadsArg === undefined && info.trainingWorkers > 1 && BATCH >= DATA_PARALLEL_WORKERS;
  const parallel = parallelOn ? await dataParallelRunner(config, tokens, BATCH, info.threads, steps) : null;
  if (parallel) console.error(`train bench: data parallelism (${DATA_PARALLEL_WORKERS} workers on ${parallel.workerThreads.join(" + ")} threads, AdamW sharded among them)…`);
  const parallelBlock1 = parallel ? await parallel.block(3) : [];

  let torch: { torch_ms_per_step: number; threads: number; torch: string } | null = null;
  const why = args.includes("--no-torch") ? "--no-torch" : BATCH !== DEFAULT_BATCH ? `--batch=${BATCH}: the PyTorch reference runs batch ${DEFAULT_BATCH}` : torchUnavailableReason();
  if (!why) {
    console.error("train bench: PyTorch reference…");
    torch = JSON.parse(runReference(["bench", String(steps)]).trim().split("\n").pop()!);
  }
  const block2 = await timeSteps(step, steps, 1);
  const parallelBlock2 = parallel ? await parallel.block(1) : [];
  const parallelMs = parallel ? Math.min(median(parallelBlock1), median(parallelBlock2)) : Infinity;
  parallel?.dispose();
  const times = median(block1) <= median(block2) ? block1 : block2;
  const ms = median(times);
  emit({
    figure: "train-step",
    backend: info.description,
    threads: info.threads,
    config: "bench-small",
    batch: BATCH,
    ms_per_step: +ms.toFixed(1),
    min_ms_per_step: +Math.min(...block1, ...block2).toFixed(1),
    other_block_ms_per_step: +Math.max(median(block1), median(block2)).toFixed(1),
    tokens_per_s: Math.round((BATCH * T * 1000) / ms),
    steps,
    tensors_leaked_per_step: leaked / (steps + 3),
    first_losses: losses,
  });
  let one: { ms_per_step: number; losses: number[] } | null = null;
  if (threadsArg === undefined && info.threads > 1) {
    console.error("train bench: the same on one thread (another process)…");
    one = await oneThreadRun(steps, BATCH);
    emit({
      figure: "threads",
      threads: info.threads,
      ms_per_step_1_thread: one.ms_per_step,
      [`ms_per_step_${info.threads}_threads`]: +ms.toFixed(1),
      speedup: +(one.ms_per_step / ms).toFixed(2),
      same_losses: one.losses.length === losses.length && one.losses.every((l, i) => l === losses[i]),
    });
    if (!args.includes("--no-data-parallel") && BATCH % info.threads === 0) {
      console.error(`train bench: the data-parallel route's bound (${info.threads} one-thread processes, batch ${BATCH / info.threads} each, at once)…`);
      const shards = await Promise.all(Array.from({ length: info.threads }, () => oneThreadRun(steps, BATCH / info.threads)));
      const bound = Math.max(...shards.map((r) => r.ms_per_step));
      emit({
        figure: "data-parallel-bound",
        workers: info.threads,
        batch_per_worker: BATCH / info.threads,
        ms_per_step: bound,
        speedup_over_1_thread: +(one.ms_per_step / bound).toFixed(2),
        threaded_ms_per_step: +ms.toFixed(1),
        note: "no gradient exchange or weight sync counted: a lower bound for that route",
      });
    }
  }
  if (parallel) {
    emit({
      figure: "data-parallel",
      workers: DATA_PARALLEL_WORKERS,
      threads_per_worker: parallel.workerThreads[0],
      batch_per_worker: BATCH / DATA_PARALLEL_WORKERS,
      ms_per_step: +parallelMs.toFixed(1),
      other_block_ms_per_step: +Math.max(median(parallelBlock1), median(parallelBlock2)).toFixed(1),
      worker_ms_per_step: +parallel.workerMs().toFixed(1),
      ...(one ? { speedup_over_1_thread: +(one.ms_per_step / parallelMs).toFixed(2) } : {}),
      threaded_ms_per_step: +ms.toFixed(1),
      speedup_over_threaded: +(ms / parallelMs).toFixed(2),
      max_loss_diff_vs_one_process: +Math.max(...parallel.losses.map((l, i) => Math.abs(l - losses[i]))).toExponential(2),
    });
  }
  if (torch) {
    emit({
      figure: "torch",
      torch_ms_per_step: +torch.torch_ms_per_step.toFixed(1),
      torch_threads: torch.threads,
      torch_version: torch.torch,
      threads: info.threads,
      ratio: +(ms / torch.torch_ms_per_step).toFixed(2),
      ...(one ? { ratio_1_thread: +(one.ms_per_step / torch.torch_ms_per_step).toFixed(2) } : {}),
      throughput_vs_torch: +(torch.torch_ms_per_step / ms).toFixed(2),
      ...(parallel ? { ratio_data_parallel: +(parallelMs / torch.torch_ms_per_step).toFixed(2), throughput_vs_torch_data_parallel: +(torch.torch_ms_per_step / parallelMs).toFixed(2) } : {}),
      target_throughput_vs_torch: 0.5,
      meets_target: torch.torch_ms_per_step / Math.min(ms, parallelMs) >= 0.5,
    });
  } else {
    emit({ figure: "torch", skipped: why });
  }

  if (!args.includes("--no-matmul")) {
    // The matMul limit: the step's own matMul calls, alone.
    const calls = recordMatMuls(step);
    const limit = await replayMatMuls(calls, 5);
    emit({
      figure: "matmul-limit",
      threads: info.threads,
      matmuls_per_step: calls.length,
      gflop_per_step: +limit.gflop.toFixed(3),
      matmul_ms: +limit.ms.toFixed(1),
      matmul_gflops: +(limit.gflop / (limit.ms / 1000)).toFixed(1),
      step_over_matmul: +(ms / limit.ms).toFixed(2),
    });
  }
  trainer.dispose();

  if (!args.includes("--no-baseline")) {
    console.error("train bench: straightforward baseline…");
    const opt = tf.train.adam(1e-3);
    const baseStep = () => {
      const b = sampleBatch(tokens, BATCH, T, batchRng);
      tf.tidy(() => {
        const loss = opt.minimize(() => baselineLoss(model, b.ids, b.targets, BATCH, T), true);
        loss?.dataSync();
      });
    };
    const bt = await timeSteps(baseStep, 3, 1);
    opt.dispose();
    emit({ figure: "baseline", what: "straightforward tfjs (built-in gradients, batched attention)", ms_per_step: +median(bt).toFixed(1), speedup: +(median(bt) / ms).toFixed(2) });
  }
  model.dispose();
  if (!args.includes("--no-levers")) {
    console.error("train bench: levers…");
    levers(emit);
  }
}
