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
import { libBlockForward } from "../lib/exercises/03-transformer";
import { GPT, transformerBlock } from "../lib/model";

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

type M = number[][];
const affine = (a: M, w: M, b: number[]) => a.map((row) => matVec(row, w).map((v, j) => v + b[j]));

/** Causal multi-head attention, written like a learner would (heads = C / d column slices). */
function multiHeadAttention(x: M, wQkv: M, bQkv: number[], wProj: M, bProj: number[], heads: number, scale = true): M {
  const T = x.length, C = x[0].length, d = C / heads;
  const qkv = affine(x, wQkv, bQkv);
  const out = x.map(() => new Array<number>(C).fill(0));
  for (let h = 0; h < heads; h++) {
    const at = (part: number, t: number) => qkv[t].slice(part * C + h * d, part * C + (h + 1) * d);
    for (let i = 0; i < T; i++) {
      const s = Array.from({ length: i + 1 }, (_, t) => at(0, i).reduce((acc, v, j) => acc + v * at(1, t)[j], 0) / (scale ? Math.sqrt(d) : 1));
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < d; j++) out[i][h * d + j] = e.reduce((acc, w, t) => acc + (w / z) * at(2, t)[j], 0);
    }
  }
  return affine(out, wProj, bProj);
}

interface BW {
  ln1: { gamma: number[]; beta: number[] };
  attn: { wQkv: M; bQkv: number[]; wProj: M; bProj: number[] };
  ln2: { gamma: number[]; beta: number[] };
  mlp: { wFc: M; bFc: number[]; wProj: M; bProj: number[] };
}

function blockForward(x: M, w: BW, heads: number, residual = true): M {
  const h1 = x.map((row) => layerNormRow(row, w.ln1.gamma, w.ln1.beta, 1e-5));
  const a = multiHeadAttention(h1, w.attn.wQkv, w.attn.bQkv, w.attn.wProj, w.attn.bProj, heads);
  const x1 = x.map((row, i) => row.map((v, j) => (residual ? v : 0) + a[i][j]));
  const h2 = x1.map((row) => layerNormRow(row, w.ln2.gamma, w.ln2.beta, 1e-5));
  const f = affine(affine(h2, w.mlp.wFc, w.mlp.bFc).map((r) => r.map(geluTanh)), w.mlp.wProj, w.mlp.bProj);
  return x1.map((row, i) => row.map((v, j) => v + f[i][j]));
}

function transformerParams(c: { vocabSize: number; dModel: number; dFF: number; nEncoderLayers: number; nDecoderLayers: number }, crossAttention = true): number {
  const d = c.dModel;
  const attn = 4 * d * d + 4 * d;
  const ffn = 2 * d * c.dFF + c.dFF + d;
  return c.vocabSize * d + c.nEncoderLayers * (attn + ffn + 4 * d) + c.nDecoderLayers * ((crossAttention ? 2 : 1) * attn + ffn + (crossAttention ? 6 : 4) * d);
}

const solutions: Record<string, unknown> = {
  "03-positional-encoding": positionalEncoding,
  "03-layer-norm": layerNormRow,
  "03-residual-step": preLnResidual,
  "03-multi-head-attention": multiHeadAttention,
  "03-block-forward": blockForward,
  "03-transformer-params": transformerParams,
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
    // one big head instead of `heads` slices
    ["03-multi-head-attention", (x: M, a: M, b: number[], p: M, pb: number[]) => multiHeadAttention(x, a, b, p, pb, 1)],
    // forgets to divide by √d
    ["03-multi-head-attention", (x: M, a: M, b: number[], p: M, pb: number[], h: number) => multiHeadAttention(x, a, b, p, pb, h, false)],
    // forgets the first residual
    ["03-block-forward", (x: M, w: BW, h: number) => blockForward(x, w, h, false)],
    // no cross-attention in the decoder
    ["03-transformer-params", (c: { vocabSize: number; dModel: number; dFF: number; nEncoderLayers: number; nDecoderLayers: number }) => transformerParams(c, false)],
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

  it("hints: sin/cos swapped, sample variance", async () => {
    const swapped = await check("03-positional-encoding", (pos: number, d: number) => positionalEncoding(pos, d).map((_, j, row) => row[j ^ 1]), { quiet: true });
    expect(swapped.cases.find((c) => !c.passed)?.hint).toMatch(/swapped/);
    const sample = await check("03-layer-norm", (x: number[], g: number[], b: number[], eps: number) => layerNormRow(x, g, b, eps).map((v, j) => (v - b[j]) * Math.sqrt((x.length - 1) / x.length) + b[j]), { quiet: true });
    expect(sample.cases.find((c) => !c.passed)?.hint).toMatch(/n − 1/);
  });

  it("hints: one big head, and a decoder without cross-attention", async () => {
    const oneHead = await check("03-multi-head-attention", (x: M, a: M, b: number[], p: M, pb: number[]) => multiHeadAttention(x, a, b, p, pb, 1), { quiet: true });
    expect(oneHead.cases.filter((c) => !c.passed).some((c) => /one big head/.test(c.hint ?? ""))).toBe(true);
    const noCross = await check("03-transformer-params", (c: { vocabSize: number; dModel: number; dFF: number; nEncoderLayers: number; nDecoderLayers: number }) => transformerParams(c, false), { quiet: true });
    expect(noCross.cases.find((c) => !c.passed)?.hint).toMatch(/TWO attentions/);
  });

  it("the block exercise's reference is the lib's transformerBlock", () => {
    const gpt = new GPT({ vocabSize: 10, contextLength: 8, dModel: 8, nHeads: 2, nLayers: 1 }, { seed: 7 });
    const get = (name: string) => gpt.params.get(`h.0.${name}`);
    const arr1 = (name: string) => Array.from(get(name).dataSync());
    const arr2 = (name: string) => get(name).arraySync() as M;
    const w: BW = {
      ln1: { gamma: arr1("ln_1.weight"), beta: arr1("ln_1.bias") },
      attn: { wQkv: arr2("attn.c_attn.weight"), bQkv: arr1("attn.c_attn.bias"), wProj: arr2("attn.c_proj.weight"), bProj: arr1("attn.c_proj.bias") },
      ln2: { gamma: arr1("ln_2.weight"), beta: arr1("ln_2.bias") },
      mlp: { wFc: arr2("mlp.c_fc.weight"), bFc: arr1("mlp.c_fc.bias"), wProj: arr2("mlp.c_proj.weight"), bProj: arr1("mlp.c_proj.bias") },
    };
    const x = Array.from({ length: 5 }, (_, i) => Array.from({ length: 8 }, (_, j) => Math.sin(i * 8 + j)));
    const lib = tf.tidy(() => transformerBlock(tf.tensor2d(x), gpt.params, "h.0.", gpt.config, { batch: 1, length: 5, training: false, mask: { causal: true } }).x.arraySync() as M);
    const ours = libBlockForward(x, w, 2);
    gpt.dispose();
    ours.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(lib[i][j], 4)));
  });

  it("building the cases leaks no tensors", () => {
    const before = tf.memory().numTensors;
    for (const id of Object.keys(solutions)) findExercise(id).cases();
    expect(tf.memory().numTensors).toBe(before);
  });
});
