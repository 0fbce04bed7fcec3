/**
 * Data parallelism (lib/training/dataParallel.ts): train(task, { workers: 2 }) computes each
 * step on two worker threads and must give what one process gives — the same losses up to
 * float rounding, the same frozen weights, no leaks — repeatably, and fail cleanly.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { GPT } from "../lib/model";
import { Rng } from "../lib/random";
import { AdamW, TrainingDivergedError, instructionTask, nextTokenTask, sampleBatch, seq2seqTask, train } from "../lib/train";
import { adamWArrays, adamWConstants } from "../lib/training/optimizer";
import { DataParallel, shareOf, stopWorkers, workerCount } from "../lib/training/dataParallel";
import { EncoderDecoder } from "../lib/model/encoderDecoder";
import { addLoRA } from "../lib/model/lora";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});
afterAll(async () => {
  await stopWorkers();
});

const config = { vocabSize: 24, contextLength: 16, dModel: 32, nHeads: 4, nLayers: 2 };
const data = new Rng(11);
const tokens = Int32Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? data.int(24) : (i * 5) % 24)); // partly predictable: the loss falls

async function run(workers: number, options: { dropout?: number; steps?: number; freeze?: boolean; lr?: number } = {}) {
  const model = new GPT({ ...config, dropout: options.dropout ?? 0 }, { seed: 2 });
  if (options.freeze) model.trainOnlyLastBlocks(1);
  const before = new Map([...model.weights()].map(([n, v]) => [n, Array.from(v.dataSync())]));
  const result = await train(nextTokenTask(model, { train: tokens }, { batchSize: 8 }), { steps: options.steps ?? 8, lr: options.lr ?? 3e-3, seed: 4, workers });
  const after = new Map([...model.weights()].map(([n, v]) => [n, Array.from(v.dataSync())]));
  model.dispose();
  return { losses: result.losses, before, after };
}

describe("data-parallel training", () => {
  it("gives one process's losses (to float rounding) and weights, and the same numbers every run with the same workers", async () => {
    const tensors = tf.memory().numTensors;
    const one = await run(1);
    const two = await run(2);
    const again = await run(2);
    expect(workerCount()).toBeGreaterThanOrEqual(2);
    expect(two.losses).toHaveLength(8);
    two.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i]), `step ${i}`).toBeLessThan(1e-4));
    expect(two.losses[7]).toBeLessThan(two.losses[0]); // it trains
    for (const [name, w] of two.after) {
      const ref = one.after.get(name)!;
      const diff = Math.max(...w.map((x, i) => Math.abs(x - ref[i])));
      expect(diff, name).toBeLessThan(1e-3);
      expect(w, name).not.toEqual(two.before.get(name)); // every weight moved
    }
    expect(again.losses).toEqual(two.losses); // bit for bit
    expect(tf.memory().numTensors).toBe(tensors); // no leaks on the main thread
  }, 120_000);

  it("\"auto\" trains in this process on a one-thread backend, and with tasks it cannot copy", async () => {
    const model = new GPT(config, { seed: 2 });
    const r = await train(nextTokenTask(model, { train: tokens }, { batchSize: 8 }), { steps: 1, workers: "auto" });
    expect(r.workers).toBe(1); // vitest runs with TINY_LLM_THREADS=1
    const lora = addLoRA(model, { rank: 2 });
    expect((await train(nextTokenTask(model, { train: tokens }, { batchSize: 8 }), { steps: 1 })).workers).toBe(1);
    lora.remove();
    model.dispose();
  }, 60_000);

  it("gives the same numbers whatever threads each worker computes on (so 2 workers on 4 cores match 2 on 2)", async () => {
    const losses: number[][] = [];
    for (const threads of [1, 2]) {
      const model = new GPT(config, { seed: 2 });
      const dp = await DataParallel.start(model, model.params.variables(), 2, { gradClip: 1 }, threads);
      expect(dp.workerThreads).toEqual([threads, threads]);
      const batches = new Rng(8);
      const run: number[] = [];
      for (let i = 0; i < 4; i++) run.push(await dp.step(sampleBatch(tokens, 8, 16, batches), 3e-3, true));
      losses.push(run);
      dp.dispose();
      model.dispose();
    }
    expect(losses[1]).toEqual(losses[0]);
    expect(losses[0][3]).toBeLessThan(losses[0][0]);
  }, 60_000);

  it("leaves frozen weights byte-identical and updates the rest", async () => {
    const r = await run(2, { freeze: true, steps: 3 });
    expect(r.after.get("wte.weight")).toEqual(r.before.get("wte.weight"));
    expect(r.after.get("h.0.attn.c_attn.weight")).toEqual(r.before.get("h.0.attn.c_attn.weight"));
    expect(r.after.get("h.1.attn.c_attn.weight")).not.toEqual(r.before.get("h.1.attn.c_attn.weight"));
  }, 60_000);

  it("draws the same dropout masks for the same seed", async () => {
    const a = await run(2, { dropout: 0.2, steps: 3 });
    const b = await run(2, { dropout: 0.2, steps: 3 });
    expect(b.losses).toEqual(a.losses);
  }, 60_000);

  it("weights each shard by its counted targets (prompt masks, padding) like one process", async () => {
    const examples = Array.from({ length: 12 }, (_, i) => ({ prompt: [1, 2 + (i % 5), 3], response: Array.from({ length: 1 + (i % 6) }, (_, j) => 5 + ((i + j) % 9)).concat([4]) }));
    const losses: number[][] = [];
    for (const workers of [1, 2]) {
      const model = new GPT(config, { seed: 7 });
      const r = await train(instructionTask(model, examples, { padId: 0, batchSize: 5 }), { steps: 4, lr: 3e-3, seed: 9, workers });
      losses.push(r.losses);
      model.dispose();
    }
    losses[1].forEach((l, i) => expect(Math.abs(l - losses[0][i]), `step ${i}`).toBeLessThan(1e-4));
  }, 60_000);

  it("stops a diverging run with the weights from before the bad step, as one process does", async () => {
    const stops: number[] = [];
    for (const workers of [1, 2]) {
      const model = new GPT(config, { seed: 2 });
      let last = new Map<string, number[]>();
      const snapshot = () => {
        last = new Map([...model.weights()].map(([n, v]) => [n, Array.from(v.dataSync())]));
      };
      snapshot();
      const task = nextTokenTask(model, { train: tokens }, { batchSize: 8 });
      const err = await train(task, { steps: 20, lr: 1e8, gradClip: 0, warmupSteps: 0, seed: 4, workers, onStep: snapshot }).catch((e) => e);
      expect(err).toBeInstanceOf(TrainingDivergedError);
      expect((err as TrainingDivergedError).message).toMatch(/lower the learning rate/);
      stops.push((err as TrainingDivergedError).step);
      for (const [name, v] of model.weights()) expect(Array.from(v.dataSync()), name).toEqual(last.get(name)); // untouched by the bad step
      model.dispose();
    }
    expect(stops[1]).toBe(stops[0]);
  }, 60_000);

  it("names the fix for tasks and models it cannot copy, and for a bad worker count", async () => {
    const ed = new EncoderDecoder({ vocabSize: 12, sourceLength: 8, targetLength: 8, dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1 }, { seed: 1 });
    const pairs = [{ source: [3, 4], target: [5, 6] }];
    await expect(train(seq2seqTask(ed, pairs, { padId: 0, startId: 1 }), { steps: 1, workers: 2 })).rejects.toThrow(/cannot be copied.*Use workers: 1/);
    ed.dispose();
    const model = new GPT(config, { seed: 2 });
    const lora = addLoRA(model, { rank: 2 });
    await expect(train(nextTokenTask(model, { train: tokens }), { steps: 1, workers: 2 })).rejects.toThrow(/adapters \(LoRA\).*Use workers: 1/);
    lora.remove();
    await expect(train(nextTokenTask(model, { train: tokens }), { steps: 1, workers: 0 })).rejects.toThrow(/whole number from 1 to 64/);
    model.dispose();
  }, 60_000);

  it("reports a worker's error without hanging, and the next run works", async () => {
    const model = new GPT(config, { seed: 2 });
    const bad = Int32Array.from({ length: 200 }, (_, i) => (i === 150 ? 99 : i % 24)); // 99 is not a token of a 24-token vocabulary
    const task = nextTokenTask(model, { train: bad }, { batchSize: 8 });
    await expect(train(task, { steps: 30, lr: 1e-3, seed: 1, workers: 2 })).rejects.toThrow(/data-parallel worker failed.*99/);
    model.dispose();
    const ok = await run(2, { steps: 2 });
    expect(ok.losses).toHaveLength(2);
  }, 60_000);

  it("ends the process when training ends (idle workers never keep Node alive), also after an error", () => {
    const child = path.join(__dirname, "fixtures", "data-parallel-child.ts");
    const tsNode = require.resolve("ts-node/dist/bin");
    const env: NodeJS.ProcessEnv = { ...process.env, TINY_LLM_THREADS: "2" };
    delete env.TINY_LLM_WORKERS;
    const ok = spawnSync(process.execPath, [tsNode, "--transpile-only", child], { encoding: "utf8", timeout: 90_000, env });
    expect(ok.signal, "the process hung").toBeNull();
    expect(ok.status, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout.trim().split("\n").pop()!);
    expect(out.losses).toHaveLength(4);
    expect(out.workers, "auto: one worker per backend thread").toBe(2);
    const failed = spawnSync(process.execPath, [tsNode, "--transpile-only", child, "throw"], { encoding: "utf8", timeout: 90_000, env });
    expect(failed.signal, "the process hung").toBeNull();
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain("deliberate failure");
    // no shared memory: "auto" trains in the kernel alone; an explicit count names the fix
    const noShared = spawnSync(process.execPath, ["--no-harmony-sharedarraybuffer", tsNode, "--transpile-only", child], { encoding: "utf8", timeout: 90_000, env });
    expect(noShared.status, noShared.stderr).toBe(0);
    expect(JSON.parse(noShared.stdout.trim().split("\n").pop()!).workers).toBe(1);
    const explicit = spawnSync(process.execPath, ["--no-harmony-sharedarraybuffer", tsNode, "--transpile-only", child], { encoding: "utf8", timeout: 90_000, env: { ...env, TINY_LLM_WORKERS: "2" } });
    expect(explicit.status).not.toBe(0);
    expect(explicit.stderr).toMatch(/no SharedArrayBuffer\. Use workers: 1/);
  }, 120_000);
});

describe("the workers' AdamW and their shares of the weights", () => {
  it("adamWArrays is AdamW.step bit for bit (matrices with weight decay, vectors without)", () => {
    const r = new Rng(3);
    const shapes = [[7, 5], [9]];
    const init = shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => r.normal()));
    const params = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
    const opt = new AdamW(params, { weightDecay: 0.1 });
    const w = init.map((a) => Float32Array.from(a));
    const m = init.map((a) => new Float32Array(a.length));
    const v = init.map((a) => new Float32Array(a.length));
    for (let t = 1; t <= 6; t++) {
      const lr = 3e-3 * t;
      const grads = init.map((a) => Float32Array.from({ length: a.length }, () => r.normal() * 0.1));
      tf.tidy(() => opt.step(grads.map((g, i) => tf.tensor(g, shapes[i])), lr));
      grads.forEach((g, i) => adamWArrays(w[i], g, m[i], v[i], adamWConstants({ weightDecay: 0.1 }, t, lr, shapes[i].length)));
      params.forEach((p, i) => expect(Array.from(w[i]), `step ${t}, weight ${i}`).toEqual(Array.from(p.dataSync())));
    }
    params.forEach((p) => p.dispose());
    opt.dispose();
  });

  it.each([
    [10, 2],
    [10, 3],
    [7, 4],
    [1, 2],
  ])("shareOf(%i, ·, %i) cuts 0..n into consecutive parts that cover it once", (n, parties) => {
    let next = 0;
    for (let k = 0; k < parties; k++) {
      const [from, to] = shareOf(n, k, parties);
      expect(from).toBe(next);
      expect(to).toBeGreaterThanOrEqual(from);
      next = to;
    }
    expect(next).toBe(n);
  });
});
