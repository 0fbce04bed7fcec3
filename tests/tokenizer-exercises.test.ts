/**
 * Chapter 01 exercises: plain solutions (written like a learner would, without
 * the lib) earn full points, and typical mistakes fail.
 */
import { describe, expect, it } from "vitest";
import { check } from "../lib/notebook";
import { findExercise } from "../lib/exercises/registry";

function utf8Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

function countPairs(ids: number[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + 1 < ids.length; i++) {
    const key = `${ids[i]},${ids[i + 1]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function mergePair(ids: number[], pair: [number, number], newId: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === pair[0] && ids[i + 1] === pair[1]) {
      out.push(newId);
      i++;
    } else out.push(ids[i]);
  }
  return out;
}

function encodeWithMerges(text: string, merges: [number, number][]): number[] {
  let ids = Array.from(new TextEncoder().encode(text));
  merges.forEach((pair, i) => (ids = mergePair(ids, pair, 256 + i)));
  return ids;
}

function decodeWithMerges(ids: number[], merges: [number, number][]): string {
  const vocab: number[][] = [];
  for (let b = 0; b < 256; b++) vocab.push([b]);
  for (const [a, b] of merges) vocab.push([...vocab[a], ...vocab[b]]);
  return new TextDecoder().decode(Uint8Array.from(ids.flatMap((id) => vocab[id])));
}

/** The BPE loop as a learner writes it: count, take the most frequent (smallest on ties), merge, repeat. */
function trainBpe(text: string, numMerges: number, tieBreak: "smallest" | "first" = "smallest", recount = true): [number, number][] {
  let ids = Array.from(new TextEncoder().encode(text));
  const merges: [number, number][] = [];
  let counts = countPairs(ids);
  for (let k = 0; k < numMerges; k++) {
    if (recount) counts = countPairs(ids);
    let best: [number, number] | null = null;
    let bestCount = 0;
    for (const [key, n] of counts) {
      const pair = key.split(",").map(Number) as [number, number];
      const better = n > bestCount || (tieBreak === "smallest" && n === bestCount && best !== null && (pair[0] < best[0] || (pair[0] === best[0] && pair[1] < best[1])));
      if (better) [best, bestCount] = [pair, n];
    }
    if (best === null) break;
    merges.push(best);
    ids = mergePair(ids, best, 256 + k);
  }
  return merges;
}

const solutions: Record<string, unknown> = {
  "01-train-bpe": trainBpe,
  "01-utf8-length": utf8Length,
  "01-count-pairs": countPairs,
  "01-merge-pair": mergePair,
  "01-encode-with-merges": encodeWithMerges,
  "01-decode-with-merges": decodeWithMerges,
};

describe("chapter 01 exercises", () => {
  it.each(Object.keys(solutions))("%s: a plain solution earns full points", async (id) => {
    const result = await check(id, solutions[id], { quiet: true });
    expect(result.cases.filter((c) => !c.passed)).toEqual([]);
    expect(result.points).toBe(findExercise(id).points);
  });

  it.each([
    ["01-utf8-length", (s: string) => s.length], // UTF-16 units, not bytes
    ["01-count-pairs", (ids: number[]) => new Map(ids.slice(1).map((b, i) => [`${ids[i]},${b}`, 1]))], // no counting
    ["01-merge-pair", (ids: number[], pair: [number, number], newId: number) => ids.map((x) => (x === pair[0] ? newId : x))],
    ["01-train-bpe", (text: string, n: number) => trainBpe(text, n, "first")], // ties: first seen, not smallest
    ["01-train-bpe", (text: string, n: number) => trainBpe(text, n, "smallest", false)], // never recounts
    ["01-encode-with-merges", (text: string) => Array.from(new TextEncoder().encode(text))], // ignores merges
    ["01-decode-with-merges", (ids: number[]) => String.fromCharCode(...ids)], // ids are not characters
  ] as Array<[string, unknown]>)("%s: a typical mistake fails", async (id, wrong) => {
    const result = await check(id, wrong, { quiet: true });
    expect(result.passed).toBe(false);
  });

  it("the BPE loop's typical mistakes get a hint", async () => {
    const ties = await check("01-train-bpe", (text: string, n: number) => trainBpe(text, n, "first"), { quiet: true });
    expect(ties.cases.filter((c) => !c.passed).some((c) => /ties/.test(c.hint ?? ""))).toBe(true);
    const stale = await check("01-train-bpe", (text: string, n: number) => trainBpe(text, n, "smallest", false), { quiet: true });
    expect(stale.cases.filter((c) => !c.passed).some((c) => /count the pairs again/.test(c.hint ?? ""))).toBe(true);
  });

  it("counting UTF-16 units instead of bytes gets a hint", async () => {
    const r = await check("01-utf8-length", (t: string) => t.length, { quiet: true });
    expect(r.cases.find((c) => !c.passed)?.hint).toMatch(/UTF-16/);
  });
});
