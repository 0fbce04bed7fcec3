/**
 * Overlap metrics for summaries (lib/eval.ts): ROUGE-L and chrF, against values worked out by hand.
 */
import { describe, expect, it } from "vitest";
import { chrF, exactMatch, lcsLength, rougeL, words } from "../lib/eval";

describe("ROUGE-L", () => {
  it("is the F1 of the longest common subsequence of words", () => {
    expect(words("Zoe withdrew money, at the bank!")).toEqual(["zoe", "withdrew", "money", "at", "the", "bank"]);
    expect(words("동현은 시장에서 밀가루를 샀다.")).toEqual(["동현은", "시장에서", "밀가루를", "샀다"]);
    expect(lcsLength(["a", "b", "c", "d"], ["b", "d", "a"])).toBe(2);
    expect(rougeL("the cat sat", "the cat sat down")).toBeCloseTo(6 / 7, 12); // P 1, R 3/4
    // LCS "cat sat" (2): P 2/3, R 2/4 → F1 = 2·(2/3)(1/2)/(2/3 + 1/2) = 4/7
    expect(rougeL("sat cat sat", "the cat sat down")).toBeCloseTo(4 / 7, 12);
    expect(rougeL("The Cat", "the cat.")).toBe(1); // case and punctuation do not count
    expect(rougeL("dog", "the cat")).toBe(0);
    expect(rougeL("", "the cat")).toBe(0);
  });

  it("order matters, unlike a bag of words", () => {
    expect(rougeL("c b a", "a b c")).toBeCloseTo(1 / 3, 12);
  });
});

describe("chrF", () => {
  it("identical texts score 1, texts without a shared character 0; whitespace is ignored", () => {
    expect(chrF("Zoe went to the bank.", "Zoe went to the bank.")).toBe(1);
    expect(chrF("Zoewenttothebank.", "Zoe went to the bank.")).toBe(1);
    expect(chrF("xyz", "abc")).toBe(0);
    expect(chrF("", "abc")).toBe(0);
  });

  it("matches a hand computation: averaged precision and recall over the orders, then F with β = 2", () => {
    // "ab" vs "abc": n=1 P 2/2 R 2/3; n=2 P 1/1 R 1/2; n≥3 the prediction is too short.
    // P = 1, R = (2/3 + 1/2)/2 = 7/12 → F2 = 5·P·R/(4P + R) = (35/12)/(55/12) = 7/11
    expect(chrF("ab", "abc")).toBeCloseTo(7 / 11, 12);
    // Repeated n-grams are matched at most as often as the reference has them: "aa" vs "a":
    // n=1 P 1/2 R 1/1 (n=2: the reference is too short) → F2 = 5·(1/2)·1/(4·(1/2) + 1) = 5/6
    expect(chrF("aa", "a")).toBeCloseTo(5 / 6, 12);
    // Recall counts more than precision: a prediction that says too little scores lower than one that says too much.
    expect(chrF("ab", "abcd")).toBeLessThan(chrF("abcdef", "abcd"));
  });

  it("gives partial credit for a Korean word with the right stem but another ending, where exact match gives none", () => {
    const ref = "동현은 시장에서 밀가루를 샀다.";
    const near = "동현은 시장에서 밀가루를 구했다.";
    expect(exactMatch(near, ref)).toBe(0);
    expect(rougeL(near, ref)).toBeCloseTo(0.75, 12);
    const c = chrF(near, ref);
    expect(c).toBeGreaterThan(0.6);
    expect(c).toBeLessThan(1);
    expect(() => chrF("a", "a", { maxN: 0 })).toThrow(/maxN must be a whole number ≥ 1/);
  });
});
