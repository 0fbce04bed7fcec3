/**
 * Chapter 10: learner-style solutions earn the points, typical mistakes fail with the hint
 * that names them; every quiz question accepts its answer, and every wrong choice explains
 * itself; the one-page map shows the numbers it is given, and a capstone knob changes it.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { check, courseMapSvg, courseMapText, CourseMapNumbers } from "../lib/notebook";
import { quiz, QUIZ_SIZE } from "../lib/exercises/10-summary";
import { GPT } from "../lib/model";
import { runCapstone, pipelineNumbers } from "../lib/train";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const hintOf = (r: { cases: { hint?: string; passed: boolean }[] }) => r.cases.find((c) => !c.passed && c.hint)?.hint ?? "";

function paramCount(c: { vocabSize: number; contextLength: number; dModel: number; nLayers: number }, mistake?: "no-positions" | "untied"): number {
  const d = c.dModel;
  const block = 2 * (2 * d) + (3 * d * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
  const positions = mistake === "no-positions" ? 0 : c.contextLength * d;
  const output = mistake === "untied" ? c.vocabSize * d : 0;
  return c.vocabSize * d + positions + c.nLayers * block + 2 * d + output;
}

function sampleNext(logits: number[], T: number, u: number, mistake?: "no-temperature"): number {
  if (T === 0) return logits.indexOf(Math.max(...logits));
  const t = mistake === "no-temperature" ? 1 : T;
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp((l - m) / t));
  const z = e.reduce((a, b) => a + b, 0);
  let run = 0;
  for (let i = 0; i < e.length; i++) {
    run += e[i] / z;
    if (u < run) return i;
  }
  return e.length - 1;
}

function causalAttention(q: number[][], k: number[][], v: number[][], mistake?: "no-mask"): number[][] {
  const d = q[0].length;
  return q.map((qt, t) => {
    const keys = mistake === "no-mask" ? k : k.slice(0, t + 1);
    const s = keys.map((ks) => qt.reduce((a, x, j) => a + x * ks[j], 0) / Math.sqrt(d));
    const m = Math.max(...s);
    const e = s.map((x) => Math.exp(x - m));
    const z = e.reduce((a, b) => a + b, 0);
    return v[0].map((_, j) => e.reduce((a, w, i) => a + (w / z) * v[i][j], 0));
  });
}

function sftTargets(p: number[], r: number[], mistake?: "mask-end"): number[] {
  const seq = [...p, ...r];
  const t = seq.slice(0, -1).map((_, i) => (i + 1 >= p.length ? seq[i + 1] : -1));
  if (mistake === "mask-end") t[t.length - 1] = -1;
  return t;
}

describe("chapter 10 exercises", () => {
  it("the parameter count matches the lib for four configs; the usual slips get their hints", async () => {
    expect((await check("10-param-count", paramCount, { quiet: true })).passed).toBe(true);
    // and the count is the real model's
    const m = new GPT({ vocabSize: 64, contextLength: 16, dModel: 16, nHeads: 2, nLayers: 2 }, { seed: 1 });
    expect(paramCount({ vocabSize: 64, contextLength: 16, dModel: 16, nLayers: 2 })).toBe(m.numParams());
    m.dispose();
    expect(hintOf(await check("10-param-count", (c: never) => paramCount(c, "no-positions"), { quiet: true }))).toMatch(/position table/);
    expect(hintOf(await check("10-param-count", (c: never) => paramCount(c, "untied"), { quiet: true }))).toMatch(/tied/);
  });

  it("sampling with a temperature; forgetting the temperature is named", async () => {
    expect((await check("10-sample-next", sampleNext, { quiet: true })).passed).toBe(true);
    const r = await check("10-sample-next", (l: number[], T: number, u: number) => sampleNext(l, T, u, "no-temperature"), { quiet: true });
    expect(r.passed).toBe(false);
    expect(hintOf(r)).toMatch(/divide the logits by the temperature/);
  });

  it("causal attention matches scaledDotProductAttention; a missing mask is named", async () => {
    const before = tf.memory().numTensors;
    expect((await check("10-causal-attention", causalAttention, { quiet: true })).passed).toBe(true);
    const r = await check("10-causal-attention", (q: number[][], k: number[][], v: number[][]) => causalAttention(q, k, v, "no-mask"), { quiet: true });
    expect(r.passed).toBe(false);
    expect(hintOf(r)).toMatch(/mask the future/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("the fine-tuning targets match promptResponseBatch; masking the end token is named", async () => {
    expect((await check("10-loss-mask", sftTargets, { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("10-loss-mask", (p: number[], r: number[]) => sftTargets(p, r, "mask-end"), { quiet: true }))).toMatch(/end token/);
  });
});

describe("chapter 10 quiz", () => {
  it(`${QUIZ_SIZE} questions, one point each, ids 10-quiz-01 …`, () => {
    expect(quiz.length).toBe(QUIZ_SIZE);
    expect(QUIZ_SIZE).toBeGreaterThanOrEqual(10);
    quiz.forEach((q, i) => {
      expect(q.id).toBe(`10-quiz-${String(i + 1).padStart(2, "0")}`);
      expect(q.points).toBe(1);
    });
  });

  it("the right letter passes; every wrong letter fails with its own explanation; anything else asks for a letter", async () => {
    for (const q of quiz) {
      const right = q.cases()[0].expected as string;
      expect((await check(q.id, () => right, { quiet: true })).passed, q.id).toBe(true);
      const why = new Set<string>();
      for (const wrong of ["a", "b", "c", "d"].filter((l) => l !== right)) {
        const r = await check(q.id, () => wrong, { quiet: true });
        expect(r.passed).toBe(false);
        const h = hintOf(r);
        expect(h, `${q.id} choice ${wrong} has no explanation`).toMatch(new RegExp(`^why not \\(${wrong}\\): .{20,}`));
        why.add(h);
      }
      expect(why.size, `${q.id}: the explanations differ per choice`).toBe(3);
      const bad = await check(q.id, () => "B", { quiet: true });
      expect(bad.cases[0].message).toMatch(/one letter/);
    }
  });
});

const sampleNumbers = (over: Partial<CourseMapNumbers> = {}): CourseMapNumbers => ({
  source: "a test",
  vocabSize: 1024,
  charsPerToken: { en: 2.5, ko: 1.3 },
  params: 940_800,
  dModel: 128,
  nLayers: 4,
  nHeads: 4,
  contextLength: 128,
  pretraining: { tokensSeen: 4_915_200, valLoss: 0.35 },
  fineTuning: { examples: 2480, exactOften: 0.3, exactNever: 0.06 },
  alignment: { method: "DPO", politeBefore: 0.38, politeAfter: 0.88, correctBefore: 0.05, correctAfter: 0.03 },
  hallucination: { neverSeenWrong: 0.85, confidence: 0.37, ece: 0.19 },
  generation: { tokensPerSecond: 213 },
  ...over,
});

describe("the one-page map", () => {
  it("writes every number it is given, and only those", () => {
    const svg = courseMapSvg(sampleNumbers());
    expect(svg.startsWith("<svg")).toBe(true);
    for (const s of ["V = 1,024", "941 k parameters", "val loss 0.35", "4.9 M tokens seen", "polite 0.38 → 0.88", "never 0.06", "answered wrong: 0.85", "213 tokens/s", "Transformer blocks × 4"]) expect(svg).toContain(s);
    const other = courseMapSvg(sampleNumbers({ params: 136_960, nLayers: 2, hallucination: { neverSeenWrong: 0.9, confidence: 0.7, ece: 0.61 } }));
    expect(other).toContain("137 k parameters");
    expect(other).toContain("Transformer blocks × 2");
    expect(other).toContain("ECE 0.61");
    expect(other).not.toContain("941 k");
    expect(courseMapText(sampleNumbers())).toContain("hallucination (09): never-seen facts answered wrong: 0.85");
  });

  it("a capstone knob (dModel) changes the map drawn from the run", async () => {
    const tiny = { pretrainSteps: 3, finetuneSteps: 2, dpoSteps: 2, evalPrompts: 2, batchSize: 4 };
    const before = tf.memory().numTensors;
    const a = await runCapstone({ ...tiny, dModel: 16, nHeads: 2 });
    const b = await runCapstone({ ...tiny, dModel: 32, nHeads: 2 });
    const [na, nb] = [pipelineNumbers(a), pipelineNumbers(b)];
    a.model.dispose();
    b.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(na.params).toBe(a.scorecard.model.params);
    expect(nb.params).toBeGreaterThan(na.params);
    expect(na.dModel).toBe(16);
    const [sa, sb] = [courseMapSvg(na), courseMapSvg(nb)];
    expect(sa).not.toBe(sb);
    expect(sa).toContain("d = 16");
    expect(sb).toContain("d = 32");
    // same knobs → same scorecard (apart from the timings)
    const c = await runCapstone({ ...tiny, dModel: 16, nHeads: 2 });
    c.model.dispose();
    const strip = (x: object) => JSON.stringify(x, (k, v) => (k === "seconds" ? undefined : v));
    expect(strip(c.scorecard)).toBe(strip(a.scorecard));
  }, 240_000);

  it("bad capstone knobs are errors that name the fix", async () => {
    await expect(runCapstone({ vocabSize: 100 })).rejects.toThrow(/vocabSize must be a whole number ≥ 257/);
    await expect(runCapstone({ dModel: 30, nHeads: 4 })).rejects.toThrow(/multiple of nHeads/);
  });
});
