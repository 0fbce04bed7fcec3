import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { median, timeMedian } from "../lib/notebook/timing";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

describe("median", () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
    [[10, 1, 1, 1, 1000], 1],
  ])("median(%j) = %d", (values, want) => {
    expect(median(values)).toBe(want);
  });

  it("refuses an empty list", () => {
    expect(() => median([])).toThrow(/empty/);
  });
});

describe("timeMedian", () => {
  it("runs warmup + repeats times and reports each timed run", () => {
    let calls = 0;
    const t = timeMedian(() => {
      calls++;
      return tf.matMul(tf.ones([8, 8]), tf.ones([8, 8]));
    }, { warmup: 2, repeats: 5 });
    expect(calls).toBe(7);
    expect(t.runsMs).toHaveLength(5);
    expect(t.medianMs).toBe(median(t.runsMs));
    for (const ms of t.runsMs) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it("keeps running until minTimeMs is reached", () => {
    const t = timeMedian(() => {
      const end = performance.now() + 2;
      while (performance.now() < end) { /* busy 2 ms */ }
    }, { warmup: 0, repeats: 1, minTimeMs: 20 });
    expect(t.runsMs.length).toBeGreaterThan(1);
    expect(t.runsMs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);
  });

  it("disposes what the function returns and what it creates on the way", () => {
    const before = tf.memory().numTensors;
    timeMedian(() => {
      const a = tf.ones([4, 4]);
      return { y: tf.add(a, a), list: [tf.mul(a, 2)] };
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("reports a leaking function", () => {
    const kept: tf.Tensor[] = [];
    expect(() => timeMedian(() => { kept.push(tf.keep(tf.ones([2]))); })).toThrow(/leaks/);
    tf.dispose(kept);
  });

  it("rejects bad options with a message naming them", () => {
    expect(() => timeMedian(() => undefined, { repeats: 0 })).toThrow(/repeats/);
    expect(() => timeMedian(() => undefined, { warmup: -1 })).toThrow(/warmup/);
    expect(() => timeMedian(() => undefined, { minTimeMs: -5 })).toThrow(/minTimeMs/);
  });
});
