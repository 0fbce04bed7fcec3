/**
 * Chapter 03 exercises: plain solutions (written like a learner would, without
 * the lib or tfjs) earn full points, typical mistakes fail, and building the
 * cases leaks no tensors.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { check } from "../lib/notebook";
import { findExercise } from "../lib/exercises/registry";

function positionalEncoding(pos: number, dModel: number): number[] {
  const row: number[] = [];
  for (let i = 0; i < dModel / 2; i++) {
    const angle = pos * Math.exp((-Math.log(10000) * 2 * i) / dModel); // pos / 10000^(2i/d)
    row.push(Math.sin(angle), Math.cos(angle));
  }
  return row;
}

function layerNormRow(x: number[], gamma: number[], beta: number[], eps: number): number[] {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
  return x.map((v, j) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[j] + beta[j]);
}

function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

function blockParamsByComponent(d: number, dFF: number, bias: boolean) {
  const b = bias ? 1 : 0;
  return {
    attention: d * 3 * d + b * 3 * d + d * d + b * d,
    feedForward: d * dFF + b * dFF + dFF * d + b * d,
    layerNorm: 2 * (d + b * d),
  };
}

function matVec(rowVec: number[], m: number[][]): number[] {
  return m[0].map((_, j) => rowVec.reduce((s, v, k) => s + v * m[k][j], 0));
}

function preLnResidual(x: number[][], gamma: number[], beta: number[], w: number[][], b: number[]): number[][] {
  return x.map((row) => {
    const branch = matVec(layerNormRow(row, gamma, beta, 1e-5), w).map((v, j) => v + b[j]);
    return row.map((v, j) => v + branch[j]);
  });
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function lstmStep(x: number[], h: number[], c: number[], wx: number[][], wh: number[][], b: number[]) {
  const H = h.length;
  const z = matVec(x, wx).map((v, j) => v + matVec(h, wh)[j] + b[j]);
  const cNext = c.map((cj, j) => sigmoid(z[H + j]) * cj + sigmoid(z[j]) * Math.tanh(z[2 * H + j]));
  const hNext = cNext.map((cj, j) => sigmoid(z[3 * H + j]) * Math.tanh(cj));
  return { h: hNext, c: cNext };
}

const solutions: Record<string, unknown> = {
  "03-positional-encoding": positionalEncoding,
  "03-layer-norm": layerNormRow,
  "03-gelu": geluTanh,
  "03-block-params": blockParamsByComponent,
  "03-residual-step": preLnResidual,
  "03-lstm-step": lstmStep,
};

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

describe("chapter 03 exercises", () => {
  it.each(Object.keys(solutions))("%s: a plain solution earns full points", async (id) => {
    const result = await check(id, solutions[id], { quiet: true });
    expect(result.cases.filter((c) => !c.passed)).toEqual([]);
    expect(result.points).toBe(findExercise(id).points);
  });

  it.each([
    // sin and cos swapped
    ["03-positional-encoding", (pos: number, d: number) => positionalEncoding(pos, d).map((_, j, row) => row[j ^ 1])],
    // exponent i/d instead of 2i/d
    ["03-positional-encoding", (pos: number, d: number) => Array.from({ length: d }, (_, j) => (j % 2 ? Math.cos : Math.sin)(pos / 10000 ** (Math.floor(j / 2) / d)))],
    // sample variance (n − 1)
    ["03-layer-norm", (x: number[], g: number[], b: number[], eps: number) => layerNormRow(x, g, b, eps).map((v, j) => (v - b[j]) * Math.sqrt((x.length - 1) / x.length) + b[j])],
    // forgets γ and β
    ["03-layer-norm", (x: number[], g: number[], b: number[], eps: number) => layerNormRow(x, x.map(() => 1), x.map(() => 0), eps)],
    ["03-gelu", (x: number) => Math.max(0, x)], // ReLU
    ["03-gelu", (x: number) => x * sigmoid(1.702 * x)], // another approximation
    ["03-block-params", (d: number, dFF: number) => ({ attention: 4 * d * d, feedForward: 2 * d * dFF, layerNorm: 2 * d })], // no biases
    ["03-block-params", (d: number, dFF: number, bias: boolean) => ({ ...blockParamsByComponent(d, dFF, bias), layerNorm: bias ? 2 * d : d })], // one LayerNorm
    // no residual: only the branch
    ["03-residual-step", (x: number[][], g: number[], be: number[], w: number[][], b: number[]) => preLnResidual(x, g, be, w, b).map((row, i) => row.map((v, j) => v - x[i][j]))],
    // post-LN instead of pre-LN on the input: x + Linear(x)
    ["03-residual-step", (x: number[][], g: number[], be: number[], w: number[][], b: number[]) => x.map((row) => matVec(row, w).map((v, j) => row[j] + v + b[j]))],
    // no forget gate: c' = i·c̃
    ["03-lstm-step", (x: number[], h: number[], c: number[], wx: number[][], wh: number[][], b: number[]) => lstmStep(x, h, c.map(() => 0), wx, wh, b)],
    // gates in the order i, f, o, c̃
    ["03-lstm-step", (x: number[], h: number[], c: number[], wx: number[][], wh: number[][], b: number[]) => {
      const H = h.length;
      const swap = (m: number[]) => [...m.slice(0, 2 * H), ...m.slice(3 * H), ...m.slice(2 * H, 3 * H)];
      return lstmStep(x, h, c, wx.map(swap), wh.map(swap), swap(b));
    }],
  ] as Array<[string, unknown]>)("%s: a typical mistake fails", async (id, wrong) => {
    const result = await check(id, wrong, { quiet: true });
    expect(result.passed).toBe(false);
    // It fails on a wrong value, not because the mistake itself crashed.
    expect(result.cases.filter((c) => c.error !== undefined)).toEqual([]);
  });

  it("building the cases leaks no tensors", () => {
    const before = tf.memory().numTensors;
    for (const id of Object.keys(solutions)) findExercise(id).cases();
    expect(tf.memory().numTensors).toBe(before);
  });
});
