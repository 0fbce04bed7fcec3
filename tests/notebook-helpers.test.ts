/**
 * The notebook helpers added for chapters 00–03: expected-range checks, display width,
 * diagrams, the attention view, figure fixes, and head probing/ablation.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { setupBackend } from "../lib/backend";
import { GPT } from "../lib/model";
import {
  attentionMaps,
  attentionText,
  attentionToKeys,
  attentionView,
  changedKnobs,
  decades,
  diagramNames,
  diagramSvg,
  displayWidth,
  expectRange,
  expectThat,
  formatTable,
  headMaskWithout,
  lineChart,
  padDisplay,
  showFigure,
  tickLabel,
  weightsHeatmap,
  wordLogProbs,
} from "../lib/notebook";

describe("expectRange / expectThat", () => {
  it("passes quietly inside the range and prints value and range", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(expectRange("loss", 2.2, { min: 1.8, max: 2.6 }).ok).toBe(true);
    expect(log.mock.calls[0][0]).toBe("✔ loss: 2.2 (expected 1.8 – 2.6)");
    log.mockRestore();
  });

  it("throws with the default knobs (so tests catch regressions)", () => {
    const knobs = { steps: 400, nHeads: 4 };
    expect(() => expectRange("loss", 3.9, { max: 3.47 }, { knobs, defaults: { steps: 400, nHeads: 4 }, hint: "train longer" })).toThrow(
      "loss: expected ≤ 3.47, got 3.9. Likely reason: train longer",
    );
    expect(() => expectThat("x", false, "yes", "no")).toThrow(/x: expected yes, got no/);
  });

  it("after a knob changed: a box with expected, got, the changed knobs and the reason; returns false", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const ok = expectRange("loss", 3.943, { max: 3.47 }, { knobs: [{ steps: 150 }, { nHeads: 2, other: 1 }], defaults: { steps: 400, nHeads: 4 }, hint: "fewer steps leave the loss higher" });
    expect(ok.ok).toBe(false);
    const text = log.mock.calls[0][0] as string;
    expect(text).toContain("expected (default knobs): ≤ 3.47");
    expect(text).toContain("got (your knobs):         3.94");
    expect(text).toContain("steps 400 → 150, nHeads 4 → 2");
    expect(text).toContain("fewer steps leave the loss higher");
    log.mockRestore();
  });

  it("compares only the keys of the defaults, by value", () => {
    expect(changedKnobs({ a: [1, 2], b: 3, c: 9 }, { a: [1, 2], b: 3 })).toEqual([]);
    expect(changedKnobs({ a: [1, 3] }, { a: [1, 2] })).toEqual(["a [1,2] → [1,3]"]);
    const rule = (x: number) => x;
    expect(changedKnobs({ rule }, { rule })).toEqual([]);
    expect(changedKnobs({ rule: (x: number) => -x }, { rule })).toEqual(["rule: another function"]);
    expect(changedKnobs(undefined, undefined)).toEqual([]);
  });
});

describe("display width", () => {
  it("counts Hangul and CJK as two columns", () => {
    expect(displayWidth("은행")).toBe(4);
    expect(displayWidth("a은b")).toBe(4);
    expect(displayWidth("é")).toBe(1);
    expect(padDisplay("돈", 4)).toBe("돈  ");
    expect(padDisplay("7", 3, "right")).toBe("  7");
  });

  it("aligns text tables that mix Korean and English", () => {
    const lines = formatTable([{ word: "은행", n: 1 }, { word: "bank", n: 22 }]).split("\n");
    const col = (line: string) => displayWidth(line.slice(0, line.lastIndexOf(" ") + 1));
    expect(new Set(lines.slice(2).map(col)).size).toBe(1);
  });
});

describe("diagrams", () => {
  it.each(diagramNames())("%s is a self-contained SVG card", (name) => {
    const svg = diagramSvg(name);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.endsWith("</svg>")).toBe(true);
    expect(svg.replace('xmlns="http://www.w3.org/2000/svg"', "")).not.toMatch(/https?:|<image|href=/);
    expect(svg).toContain('fill="#ffffff"'); // its own light background: readable in dark themes too
    expect((svg.match(/<text/g) ?? []).length).toBe((svg.match(/<\/text>/g) ?? []).length);
  });

  it("has the diagrams the chapters use", () => {
    expect(diagramNames()).toEqual(expect.arrayContaining(["stages", "tokenization", "attention", "causal-mask", "multi-head", "block", "encoder-decoder"]));
    expect(() => diagramSvg("nope")).toThrow(/known: .*tokenization/);
  });
});

describe("figures", () => {
  it("puts ticks at the given values and thins heatmap labels", () => {
    const fig = showFigure(lineChart([{ name: "a", x: [16, 64, 256], y: [1, 2, 3] }], { logX: true, silent: true }), { xTicks: [16, 64, 256], silent: true });
    const xa = fig.layout.xaxis as { tickvals: number[]; ticktext: string[] };
    expect(xa.tickvals).toEqual([16, 64, 256]);
    expect(xa.ticktext).toEqual(["16", "64", "256"]);
    const hm = weightsHeatmap([[0.1, 0.9], [0.5, 0.5]], { silent: true });
    expect((hm.data[0].colorscale as [number, string][])[0]).toEqual([0, "#ffffff"]);
    const thin = showFigure(weightsHeatmap(Array.from({ length: 4 }, () => [0, 0, 0, 0, 0, 0, 0, 0]), { silent: true }), { xEvery: 4, silent: true });
    expect((thin.layout.xaxis as { tickvals: number[] }).tickvals).toEqual([0, 4]);
    expect(tickLabel(1024)).toBe("1,024");
    expect(tickLabel(175e9)).toBe("175B");
    expect(decades(3, 2000)).toEqual([1, 10, 100, 1000, 10000]);
  });
});

describe("attention view and head probes", () => {
  let model: GPT;
  beforeAll(async () => {
    await setupBackend({ verbose: false });
    model = new GPT({ vocabSize: 20, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 2 }, { seed: 3 });
  });

  it("embeds the weights, and has a text fallback", () => {
    const before = tf.memory().numTensors;
    const maps = attentionMaps(model, [1, 2, 3, 4]);
    expect(maps.length).toBe(2);
    expect(maps[0].length).toBe(2);
    const view = attentionView(["은행", " 앞에", " 가서", " 돈을"], maps, { silent: true, title: "t" });
    expect(view.html).toContain('"tokens":["은행"," 앞에"," 가서"," 돈을"]');
    expect(view.html).not.toMatch(/https?:|src=/);
    expect(view.text).toContain("L1.H1:");
    expect(view.html).toMatch(/data-role="caption"[^>]*>L0\.H0: /); // a still picture for pages that run no scripts
    expect(attentionText(["a", "b"], [[[[1, 0], [0.3, 0.7]]]])).toBe("L0.H0: a→a 1.00, b→b 0.70");
    expect(() => attentionView(["a"], maps, { silent: true })).toThrow(/not 1×1/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("probes and ablates heads without leaking tensors", () => {
    const before = tf.memory().numTensors;
    const windows = [[1, 2, 3, 4, 5, 6], [2, 1, 3, 1, 5, 2]];
    const r = attentionToKeys(model, windows, (w) => w.map(String), (t) => t === "5", (t) => t === "1" || t === "2");
    expect(r.hits).toBe(2);
    expect(r.heads).toEqual(["L0.H0", "L0.H1", "L1.H0", "L1.H1"]);
    r.onKeys.forEach((x) => expect(x).toBeGreaterThan(0));
    const mask = headMaskWithout(2, 2, ["L1.H0"]);
    expect(mask).toEqual([[1, 1], [0, 1]]);
    const full = wordLogProbs(model, [[1, 2]], [[3], [3, 4]]);
    const off = wordLogProbs(model, [[1, 2]], [[3], [3, 4]], mask);
    expect(full[0][1]).toBeLessThan(full[0][0]); // two tokens are less likely than the first alone
    expect(off[0][0]).not.toBeCloseTo(full[0][0], 6);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("diagrams on one page", () => {
  it("use their own arrow-marker ids", () => {
    const ids = diagramNames().map((n) => diagramSvg(n).match(/<marker id="([^"]+)"/)?.[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const n of diagramNames()) expect(diagramSvg(n)).not.toContain("url(#arrow)");
  });
});
