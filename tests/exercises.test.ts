import { describe, expect, it } from "vitest";
import { check, collectAnswers, scoreAnswers } from "../lib/exercises/check";
import { firstDifference, toPlain } from "../lib/exercises/compare";
import { allExercises, findExercise } from "../lib/exercises/registry";

describe("firstDifference", () => {
  it.each([
    [1, 1, null],
    [1 + 1e-9, 1, null],
    [[1, 2], [1, 2], null],
    [{ a: [1, 2] }, { a: [1, 2] }, null],
  ])("%j equals %j", (got, expected, want) => {
    expect(firstDifference(got, expected)).toBe(want);
  });

  it.each([
    [[1, 2.5], [1, 2], "at [1]: expected 2, got 2.5"],
    [[1], [1, 2], "expected length 2, got length 1"],
    [{ a: 1 }, { a: 1, b: 2 }, 'missing key "b"'],
    [{ a: 1, c: 3 }, { a: 1 }, 'unexpected key "c"'],
    ["1", 1, "expected number 1, got string \"1\""],
    [NaN, 1, "expected 1, got NaN"],
  ])("%j differs from %j", (got, expected, want) => {
    expect(firstDifference(got, expected)).toBe(want);
  });

  it("uses the tolerance", () => {
    expect(firstDifference(1.01, 1, 0.1)).toBeNull();
    expect(firstDifference(1.2, 1, 0.1)).not.toBeNull();
  });
});

describe("toPlain", () => {
  it("turns maps, sets and typed arrays into plain values", () => {
    expect(toPlain(new Map([["ab", 2]]))).toEqual({ ab: 2 });
    expect(toPlain(new Set([3, 1]))).toEqual([1, 3]);
    expect(toPlain(new Float32Array([0.5, 1]))).toEqual([0.5, 1]);
  });
});

describe("registry", () => {
  it("has unique ids that start with their chapter number", () => {
    const ids = allExercises.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^\d\d-[a-z0-9-]+$/);
  });

  it("names the known ids for an unknown one", () => {
    expect(() => findExercise("00-nope")).toThrow(/Unknown exercise "00-nope".*00-block-params/);
  });
});

// Reference solutions for chapter 00, written independently of the expected values.
const solutions: Record<string, (...args: never[]) => unknown> = {
  "00-block-params": ((d: number) => 12 * d * d + 13 * d) as never,
  "00-gpt-params": ((c: { vocabSize: number; contextLength: number; dModel: number; nLayers: number }) =>
    c.vocabSize * c.dModel + c.contextLength * c.dModel + c.nLayers * (12 * c.dModel ** 2 + 13 * c.dModel) + 2 * c.dModel) as never,
  "00-next-token-pairs": ((tokens: string[], k: number) =>
    tokens.slice(1).map((target, i) => ({ input: tokens.slice(Math.max(0, i + 1 - k), i + 1), target }))) as never,
  "00-few-shot-prompt": ((examples: { input: string; output: string }[], query: string) =>
    [...examples.map((e) => `Korean: ${e.input}\nEnglish: ${e.output}`), `Korean: ${query}\nEnglish:`].join("\n\n")) as never,
};

describe("check", () => {
  it.each(Object.keys(solutions))("%s: the reference solution earns full points", async (id) => {
    const result = await check(id, solutions[id], { quiet: true });
    expect(result.cases.filter((c) => !c.passed)).toEqual([]);
    expect(result.points).toBe(findExercise(id).points);
  });

  it("a wrong answer fails with input, expected and got", async () => {
    const result = await check("00-block-params", (d: number) => 12 * d * d, { quiet: true });
    expect(result.passed).toBe(false);
    expect(result.points).toBe(0);
    const first = result.cases[0];
    expect(first).toMatchObject({ passed: false, input: "2", expected: 74, got: 48 });
  });

  it("an exception is reported, not thrown", async () => {
    const result = await check("00-block-params", () => {
      throw new Error("Exercise 00-block-params: not implemented yet");
    }, { quiet: true });
    expect(result.passed).toBe(false);
    expect(result.cases[0].error).toMatch(/not implemented yet/);
  });

  it("refuses a non-function with a clear message", async () => {
    await expect(check("00-block-params", 42)).rejects.toThrow(/must be your function/);
  });

  it("extra (hidden) cases count", async () => {
    const almost = (d: number) => (d === 5 ? 0 : 12 * d * d + 13 * d);
    const visible = await check("00-block-params", almost, { quiet: true });
    expect(visible.passed).toBe(true);
    const hidden = await check("00-block-params", almost, { quiet: true, cases: [{ args: [5], expected: 365 }] });
    expect(hidden.passed).toBe(false);
  });

  it("collect and score can run separately (as the grader does)", async () => {
    const ex = findExercise("00-next-token-pairs");
    const cases = ex.cases();
    const answers = await collectAnswers(cases, solutions["00-next-token-pairs"]);
    const round = JSON.parse(JSON.stringify(answers));
    expect(scoreAnswers(ex, ex.cases(), round).passed).toBe(true);
    round[0].got = [];
    expect(scoreAnswers(ex, ex.cases(), round).passed).toBe(false);
  });
});

describe("hints for recognisable mistakes", () => {
  it("a block count without biases is told so", async () => {
    const result = await check("00-block-params", (d: number) => 12 * d * d + 4 * d, { quiet: true });
    expect(result.cases[0].hint).toMatch(/biases/);
    const counted = await check("00-gpt-params", (c: { vocabSize: number; contextLength: number; dModel: number; nLayers: number }) =>
      2 * c.vocabSize * c.dModel + c.contextLength * c.dModel + c.nLayers * (12 * c.dModel ** 2 + 13 * c.dModel) + 2 * c.dModel, { quiet: true });
    expect(counted.cases[0].hint).toMatch(/tied/);
  });
});
