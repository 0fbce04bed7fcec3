/**
 * Chapter 02 exercises: plain solutions (written like a learner would, on
 * number arrays, without the lib) earn full points, and typical mistakes fail.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { check } from "../lib/notebook";
import { findExercise } from "../lib/exercises/registry";

type Matrix = number[][];

function softmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function causalMask(n: number): Matrix {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j <= i ? 1 : 0)));
}

const matMul = (a: Matrix, b: Matrix): Matrix => a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));

function selfAttentionLayer(x: Matrix, wq: Matrix, wk: Matrix, wv: Matrix, wo: Matrix, causal: boolean): Matrix {
  const { output } = attention(matMul(x, wq), matMul(x, wk), matMul(x, wv), causal ? causalMask(x.length) : undefined);
  return matMul(output, wo);
}

function attention(q: Matrix, k: Matrix, v: Matrix, mask?: Matrix): { weights: Matrix; output: Matrix } {
  const d = q[0].length;
  const weights = q.map((qi, i) =>
    softmax(k.map((kj, j) => (mask && mask[i][j] === 0 ? -Infinity : qi.reduce((s, x, c) => s + x * kj[c], 0) / Math.sqrt(d)))),
  );
  const output = weights.map((w) => v[0].map((_, c) => w.reduce((s, wj, j) => s + wj * v[j][c], 0)));
  return { weights, output };
}

function splitHeads(x: Matrix, heads: number): number[][][] {
  const d = x[0].length / heads;
  return Array.from({ length: heads }, (_, h) => x.map((row) => row.slice(h * d, (h + 1) * d)));
}

function mergeHeads(x: number[][][]): Matrix {
  return x[0].map((_, t) => x.flatMap((head) => head[t]));
}

const solutions: Record<string, unknown> = {
  "02-softmax": softmax,
  "02-self-attention-layer": selfAttentionLayer,
  "02-attention": attention,
  "02-split-heads": splitHeads,
  "02-merge-heads": mergeHeads,
};

// Typical mistakes.
const naiveSoftmax = (x: number[]) => {
  const e = x.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const layerNoMask = (x: Matrix, wq: Matrix, wk: Matrix, wv: Matrix, wo: Matrix) => selfAttentionLayer(x, wq, wk, wv, wo, false); // ignores `causal`
const layerNoProjection = (x: Matrix, wq: Matrix, wk: Matrix, wv: Matrix, _wo: Matrix, causal: boolean) =>
  attention(matMul(x, wq), matMul(x, wk), matMul(x, wv), causal ? causalMask(x.length) : undefined).output; // forgets W_o
const unscaled = (q: Matrix, k: Matrix, v: Matrix, mask?: Matrix) => attention(q.map((r) => r.map((x) => x * Math.sqrt(q[0].length))), k, v, mask); // forgets √d
const ignoresMask = (q: Matrix, k: Matrix, v: Matrix) => attention(q, k, v);
const naiveAttention = (q: Matrix, k: Matrix, v: Matrix, mask?: Matrix) => {
  const d = q[0].length;
  const weights = q.map((qi, i) => naiveSoftmax(k.map((kj, j) => (mask && mask[i][j] === 0 ? -Infinity : qi.reduce((s, x, c) => s + x * kj[c], 0) / Math.sqrt(d)))));
  const output = weights.map((w) => v[0].map((_, c) => w.reduce((s, wj, j) => s + wj * v[j][c], 0)));
  return { weights, output };
};
// Reshape (T, C) straight to (H, T, d) without moving the heads first: rows get mixed up.
const reshapeOnly = (x: Matrix, heads: number) => {
  const flat = x.flat();
  const T = x.length;
  const d = x[0].length / heads;
  return Array.from({ length: heads }, (_, h) => Array.from({ length: T }, (_, t) => flat.slice((h * T + t) * d, (h * T + t + 1) * d)));
};
const concatTokens = (x: number[][][]) => x.flatMap((head) => head); // (H·T, d) instead of (T, H·d)

describe("chapter 02 exercises", () => {
  beforeAll(async () => {
    await setupBackend({ verbose: false });
  });

  it.each(Object.keys(solutions))("%s: a plain solution earns full points", async (id) => {
    const result = await check(id, solutions[id], { quiet: true });
    expect(result.cases.filter((c) => !c.passed)).toEqual([]);
    expect(result.points).toBe(findExercise(id).points);
  });

  it.each([
    ["02-softmax", naiveSoftmax],
    ["02-self-attention-layer", layerNoMask],
    ["02-self-attention-layer", layerNoProjection],
    ["02-attention", unscaled],
    ["02-attention", ignoresMask],
    ["02-attention", naiveAttention],
    ["02-split-heads", reshapeOnly],
    ["02-merge-heads", concatTokens],
  ] as Array<[string, unknown]>)("%s: a typical mistake fails", async (id, wrong) => {
    const result = await check(id, wrong, { quiet: true });
    expect(result.passed).toBe(false);
  });

  it("the naive softmax fails exactly on the overflow cases", async () => {
    const result = await check("02-softmax", naiveSoftmax, { quiet: true });
    const failed = result.cases.filter((c) => !c.passed).map((c) => c.label);
    expect(failed).toEqual(["large scores (naive exp overflows)", "very negative scores (naive exp underflows to 0/0)"]);
  });

  it("a naive softmax's NaN gets a hint", async () => {
    const r = await check("02-softmax", naiveSoftmax, { quiet: true });
    expect(r.cases.find((c) => !c.passed)?.hint).toMatch(/subtract the row's maximum/);
  });

  it("recognisable mistakes get a hint", async () => {
    const noMask = await check("02-self-attention-layer", layerNoMask, { quiet: true });
    expect(noMask.cases.find((c) => !c.passed)?.hint).toMatch(/causal mask/);
    const noProjection = await check("02-self-attention-layer", layerNoProjection, { quiet: true });
    expect(noProjection.cases.filter((c) => !c.passed).some((c) => /output projection/.test(c.hint ?? ""))).toBe(true);
  });

  it("building the cases leaks no tensors", () => {
    const before = tf.memory().numTensors;
    for (const id of Object.keys(solutions)) findExercise(id).cases();
    expect(tf.memory().numTensors).toBe(before);
  });
});
