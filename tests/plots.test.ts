import { describe, expect, it, vi } from "vitest";
import { barChart, figureBundle, heatmap, lineChart, scatter, shortNumber, tokenView } from "../lib/notebook/plots";
import { TrainingProgress, lossCurveSvg } from "../lib/notebook/progress";
import { formatTable } from "../lib/notebook/display";

describe("plots outside a kernel", () => {
  it("return the figure and print a summary instead of failing", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const fig = lineChart([{ name: "train", y: [4.2, 3.1, 2.5] }], { title: "loss" });
    expect(fig.data).toHaveLength(1);
    expect(fig.summary).toBe('Line chart "loss" — train: 3 points, 4.2 → 2.5');
    expect(log).toHaveBeenCalledWith(fig.summary);
    log.mockRestore();
  });

  it("draw a series dashed when asked, solid otherwise", () => {
    const fig = lineChart([{ name: "model", y: [1, 2] }, { name: "baseline", y: [1, 1], dash: "dash" }], { silent: true });
    const data = fig.data as { line?: { dash?: string } }[];
    expect(data[0].line).toBeUndefined();
    expect(data[1].line?.dash).toBe("dash");
  });

  it("refuse NaN with a hint", () => {
    expect(() => lineChart([{ name: "train", y: [1, NaN] }], { silent: true })).toThrow(/value 1 is NaN/);
  });

  it("heatmap keeps repeated labels as separate columns and names the peak", () => {
    const fig = heatmap([[0.1, 0.9], [0.5, 0.5]], { xLabels: ["the", "the"], yLabels: ["a", "b"], silent: true });
    const trace = fig.data[0] as { x: number[] };
    expect(trace.x).toEqual([0, 1]);
    expect((fig.layout.xaxis as { ticktext: string[] }).ticktext).toEqual(["the", "the"]);
    expect(fig.summary).toContain("largest 0.9 at a → the");
    expect(() => heatmap([[1, 2], [3]], { silent: true })).toThrow(/row 1 has 1 values/);
    expect(() => heatmap([[1, 2]], { xLabels: ["x"], silent: true })).toThrow(/1 xLabels for 2 columns/);
  });

  it("bar chart groups and scatter validate lengths", () => {
    const fig = barChart([{ name: "en", labels: ["a", "b"], values: [1, 2] }, { name: "ko", labels: ["a", "b"], values: [3, 4] }], { silent: true, logY: true });
    expect(fig.layout.barmode).toBe("group");
    expect((fig.layout.yaxis as { type: string }).type).toBe("log");
    expect(() => barChart([{ name: "x", labels: ["a"], values: [1, 2] }], { silent: true })).toThrow(/1 labels but 2 values/);
    expect(() => scatter([{ name: "p", x: [1], y: [] }], { silent: true })).toThrow(/1 x values but 0 y values/);
  });

  it("the bundle has the three representations and inlines plotly without any CDN", () => {
    const fig = lineChart([{ name: "a", y: [1, 2] }], { silent: true });
    const first = figureBundle(fig, true);
    expect(Object.keys(first).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    const html = first["text/html"] as string;
    expect(html.length).toBeGreaterThan(1_000_000); // plotly.js itself
    expect(html).not.toMatch(/<script[^>]+src=/i);
    const later = figureBundle(fig, false)["text/html"] as string;
    expect(later.length).toBeLessThan(5_000);
    expect(later).toContain("Plotly.newPlot");
  });

  it("escapes </script> in data", () => {
    const fig = barChart([{ name: "</script><b>", labels: ["x"], values: [1] }], { silent: true });
    const html = figureBundle(fig, false)["text/html"] as string;
    expect(html).not.toContain("</script><b>");
  });

  it("token view escapes HTML and shows ids", () => {
    const view = tokenView(["<b>", " x"], { ids: [1, 2], silent: true });
    expect(view.html).toContain("&lt;b&gt;");
    expect(view.html).toContain('title="id 2"');
    expect(view.summary).toContain('2 tokens: "<b>" " x"');
    expect(() => tokenView(["a"], { ids: [], silent: true })).toThrow(/1 tokens but 0 ids/);
  });

  it("formats tables", () => {
    expect(formatTable([{ a: 1, b: "x" }, { a: 12345, b: "yy" }])).toBe("a       b\n------  --\n1       x\n12,345  yy");
  });
});

describe("TrainingProgress outside a kernel", () => {
  it("prints a tenth of the steps and a final line", async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((s: string) => void lines.push(s));
    const p = new TrainingProgress({ totalSteps: 20, title: "t" });
    for (let step = 1; step <= 20; step++) await p.update({ step, loss: 5 - step / 10 });
    p.finish();
    log.mockRestore();
    // steps 1, 2, 4, …, 20 → 11 lines, plus "done"
    expect(lines).toHaveLength(12);
    expect(lines[lines.length - 1]).toMatch(/^t: step 20\/20 \(100%\) · loss 3\.0000 .* · done$/);
    expect(p.history).toHaveLength(20);
  });

  it("draws a loss curve with both lines", () => {
    const svg = lossCurveSvg([{ step: 1, loss: 3, valLoss: 3.2 }, { step: 2, loss: 2, valLoss: 2.5 }]);
    expect((svg.match(/<polyline/g) ?? []).length).toBe(2);
  });

  it("rejects a bad step count", () => {
    expect(() => new TrainingProgress({ totalSteps: 0 })).toThrow(/totalSteps must be positive/);
  });
});

describe("lossCurveSvg on a long run", () => {
  it("draws at most ~300 points and keeps every validation point", () => {
    const points = Array.from({ length: 200_000 }, (_, i) => ({ step: i + 1, loss: 5 - i / 1e5, valLoss: (i + 1) % 50_000 === 0 ? 4 : undefined }));
    const svg = lossCurveSvg(points);
    const lines = svg.match(/points="([^"]*)"/g) ?? [];
    expect(lines).toHaveLength(2);
    const counts = lines.map((l) => l.split(" ").length);
    expect(counts[0]).toBeLessThanOrEqual(310);
    expect(counts[1]).toBe(4);
  });
});

describe("bar labels", () => {
  it.each([
    [174_604_259_328, "175B"],
    [124_439_808, "124M"],
    [867_072, "867k"],
    [1234, "1234"],
    [0.6234, "0.623"],
    [0, "0"],
    [-2_500_000, "-2.5M"],
  ])("%d → %s", (v, want) => {
    expect(shortNumber(v)).toBe(want);
  });
});
