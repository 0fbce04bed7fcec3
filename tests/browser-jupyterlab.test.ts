/**
 * JupyterLab for real: the course's JupyterLab (from .venv, as `npm run setup` installs it) on a
 * free 127.0.0.1 port with the course kernel, serving a fresh learner workspace, driven by
 * headless Debian Chromium. Screenshots of each case go to dist/browser-tests/.
 *
 *  A. without the plotly JupyterLab extension (the HTML fallback), chapter 01: Run All; the kernel
 *     is "TypeScript (tiny-llm course)"; no error outputs; every plot drawn (an SVG with data);
 *     check boxes red; paste the reference solutions, rerun → green. Then the reload case: reload
 *     the page while the kernel keeps running — the saved plots draw again on the new page (which
 *     has no plotly.js), and after clearing every output a rerun plot cell draws too.
 *  B. with the extension, chapter 00: plots rendered by the extension from
 *     application/vnd.plotly.v1+json, no error outputs.
 *  C. TrainingProgress: one output, updated in place (its text changes, it never multiplies).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courseEnv, KERNEL_DISPLAY_NAME, KERNEL_NAME, registerProjectKernel } from "../lib/tools/cli/kernel";
import { findPython, isRoot, PythonInfo } from "../lib/tools/cli/python";
import { plotlyStaticDir } from "../lib/tools/cli/start";
import { syncWorkspace } from "../lib/tools/cli/workspace";
import { cellSource, gradeId, isSolutionCell, parseNotebook } from "../lib/tools/grader/notebook";
import { browserMissing, freePort, launchBrowser, localContext, root, screenshotPath, sleep, spawnGroup, stopGroup } from "./browser-helpers";

const CHAPTER_A = "01-tokens.ipynb";
const CHAPTER_B = "00-introduction.ipynb";
const RED = "rgb(220, 38, 38)";
/** The plotly extension's mime-renderer plugin (JupyterLab disables plugins by id). */
const PLOTLY_PLUGIN = "@jupyterlab/plotly-extension:factory";
const GREEN = "rgb(22, 163, 74)";

let python: PythonInfo | null = null;
const missing = browserMissing();
{
  const found = findPython(root, "serve").found;
  python = found && found.jupyterlab ? found : null;
}
const why = missing ?? (python ? null : "no Python with JupyterLab (npm run setup installs it into .venv)");
if (why && process.env.CI) throw new Error(`browser test cannot run in CI: ${why}`);

const temp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-browser-lab-"));
const workspace = path.join(temp, "workspace");

interface Lab {
  url: string;
  token: string;
  plotlyExtension: boolean;
  stop: () => Promise<void>;
  output: () => string;
}

/** Start JupyterLab on the workspace; `plotlyExtension: false` disables jupyterlab-plotly through page_config. */
async function startLab(plotlyExtension: boolean): Promise<Lab> {
  const port = await freePort();
  const token = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  const config = path.join(temp, plotlyExtension ? "config-with" : "config-without");
  fs.mkdirSync(path.join(config, "labconfig"), { recursive: true });
  // (The news announcements plugin is off too: no pop-up in screenshots, no request for news.)
  const disabled: Record<string, boolean> = { "@jupyterlab/apputils-extension:announcements": true };
  if (!plotlyExtension) {
    disabled["jupyterlab-plotly"] = true;
    disabled[PLOTLY_PLUGIN] = true;
  }
  fs.writeFileSync(path.join(config, "labconfig", "page_config.json"), JSON.stringify({ disabledExtensions: disabled }));
  // Render every cell (no windowing), so off-screen plots are drawn and measurable.
  const settings = path.join(config, "lab", "user-settings", "@jupyterlab", "notebook-extension");
  fs.mkdirSync(settings, { recursive: true });
  fs.writeFileSync(path.join(settings, "tracker.jupyterlab-settings"), JSON.stringify({ windowingMode: "none" }));
  const env = {
    ...courseEnv(root),
    JUPYTER_CONFIG_DIR: config,
    JUPYTER_DATA_DIR: path.join(temp, "data"),
    JUPYTER_RUNTIME_DIR: path.join(temp, "runtime"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  const args = [
    "-m",
    "jupyterlab",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--ServerApp.port_retries=0",
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${workspace}`,
    `--ServerApp.extra_static_paths=${JSON.stringify([plotlyStaticDir(root)])}`,
    `--MultiKernelManager.default_kernel_name=${KERNEL_NAME}`,
    "--LabApp.expose_app_in_browser=True",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ...(isRoot() ? ["--allow-root"] : []),
  ];
  const { child, output } = spawnGroup(python!.executable, args, { cwd: workspace, env });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`JupyterLab exited:\n${output()}`);
    try {
      const res = await fetch(`${url}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stopGroup(child);
      throw new Error(`JupyterLab did not answer in 120 s:\n${output()}`);
    }
    await sleep(300);
  }
  return { url, token, plotlyExtension, output, stop: () => stopGroup(child) };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;

/** Open a notebook and wait until its kernel is idle. */
async function openNotebook(page: Page, lab: Lab, file: string): Promise<void> {
  await page.goto(`${lab.url}/lab/tree/${file}?token=${lab.token}`, { timeout: 120_000 });
  await page.waitForFunction(
    (f: string) => {
      const w = window.jupyterapp?.shell?.currentWidget;
      return !!w && w.context?.path === f && w.sessionContext?.session?.kernel?.status === "idle" && w.content?.widgets?.length > 0;
    },
    file,
    { timeout: 180_000, polling: 250 },
  );
}

async function runAll(page: Page, timeoutMs: number): Promise<void> {
  await runAllOnce(page, timeoutMs);
  // tslab 1.0.22 sometimes throws "Unexpected pending rebuildTimer" (its TypeScript watch host)
  // on the first cells of a new kernel; a learner would restart the kernel and run all again.
  const flaked = await page.evaluate(() =>
    window.jupyterapp.shell.currentWidget.content.model
      .toJSON()
      .cells.some((c: any) => (c.outputs || []).some((o: any) => String(o.text || "").includes("Unexpected pending rebuildTimer"))),
  );
  if (flaked) {
    console.warn("tslab: 'Unexpected pending rebuildTimer' on a new kernel; restarting the kernel and running all again");
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute("notebook:clear-all-cell-outputs");
      await window.jupyterapp.shell.currentWidget.sessionContext.restartKernel();
    });
    await page.waitForFunction(() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === "idle", undefined, { timeout: 120_000 });
    await runAllOnce(page, timeoutMs);
  }
}

async function runAllOnce(page: Page, timeoutMs: number): Promise<void> {
  await page.evaluate(() => {
    window.__runAllDone = false;
    window.jupyterapp.commands.execute("notebook:run-all-cells").then(
      () => (window.__runAllDone = true),
      () => (window.__runAllDone = true),
    );
  });
  await page.waitForFunction(() => window.__runAllDone === true, undefined, { timeout: timeoutMs, polling: 500 });
  await page.waitForFunction(() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === "idle", undefined, { timeout: 60_000 });
}

interface NotebookState {
  kernelDisplayName: string;
  toolbarKernel: string;
  kernelId: string;
  errors: string[];
  codeCells: number;
  executed: number;
  plotOutputs: number;
  plots: { mime: string; drawn: boolean; text: string }[];
  checks: string[];
}

async function state(page: Page): Promise<NotebookState> {
  return page.evaluate(() => {
    const w = window.jupyterapp.shell.currentWidget;
    const nb = w.content.model.toJSON();
    const errors: string[] = [];
    let plotOutputs = 0;
    let executed = 0;
    let codeCells = 0;
    for (const c of nb.cells) {
      if (c.cell_type !== "code") continue;
      codeCells++;
      if (c.execution_count !== null) executed++;
      for (const o of c.outputs) {
        if (o.output_type === "error") errors.push(`${o.ename}: ${o.evalue}`);
        // tslab reports TypeScript errors on stderr.
        if (o.output_type === "stream" && o.name === "stderr") errors.push(`stderr: ${String(Array.isArray(o.text) ? o.text.join("") : o.text).slice(0, 300)}`);
        if (o.data && o.data["application/vnd.plotly.v1+json"]) plotOutputs++;
      }
    }
    const plots = Array.from(w.node.querySelectorAll(".jp-OutputArea-output"))
      .filter((el: any) => el.classList.contains("jp-RenderedPlotly") || el.dataset.mimeType === "application/vnd.plotly.v1+json" || el.querySelector(".tiny-llm-plot"))
      .map((el: any) => ({
        // The plotly extension's renderer sets no data-mime-type; its class says what rendered it.
        mime: el.classList.contains("jp-RenderedPlotly") ? "application/vnd.plotly.v1+json" : el.dataset.mimeType,
        // Drawn = plotly's SVG with data marks in it (bars, lines, markers, heatmap images).
        drawn: !!el.querySelector("svg.main-svg") && el.querySelectorAll("g.trace path, g.point path, g.hm image, g.heatmaplayer image").length > 0,
        text: (el.textContent || "").slice(0, 200),
      }));
    const checks = Array.from(w.node.querySelectorAll('.jp-OutputArea-output div[style*="border-left:5px solid"]')).map(
      (el: any) => getComputedStyle(el).borderLeftColor,
    );
    const toolbar = w.node.querySelector(".jp-KernelName") || document.querySelector(".jp-Toolbar-kernelName");
    return {
      kernelDisplayName: w.sessionContext.kernelDisplayName,
      toolbarKernel: toolbar ? toolbar.textContent : "",
      kernelId: w.sessionContext.session.kernel.id,
      errors,
      codeCells,
      executed,
      plotOutputs,
      plots,
      checks,
    };
  });
}

/** Wait until every plot output is drawn (the loader fetches plotly.js asynchronously). */
async function waitPlotsDrawn(page: Page, expected: number): Promise<NotebookState> {
  let s = await state(page);
  for (let i = 0; i < 120 && !(s.plots.length === expected && s.plots.every((p) => p.drawn)); i++) {
    await sleep(500);
    s = await state(page);
  }
  return s;
}

/** Run cell `index` (0-based) and wait for it. */
async function runCell(page: Page, index: number): Promise<void> {
  await page.evaluate(async (i: number) => {
    const w = window.jupyterapp.shell.currentWidget;
    w.content.activeCellIndex = i;
    await window.jupyterapp.commands.execute("notebook:run-cell");
  }, index);
  await page.waitForFunction(() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === "idle", undefined, { timeout: 120_000 });
}

describe.skipIf(why !== null)("JupyterLab in a real browser", () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null;
  let context: BrowserContext | null = null;
  let lab: Lab | null = null;
  const consoleLines: string[] = [];

  beforeAll(async () => {
    registerProjectKernel(root);
    // The kernel imports a frozen copy of lib/: tslab watches imported files and aborts a
    // run when one changes mid-run (people editing the checkout while the test runs).
    // The temporary folder is a mini checkout: package.json, the frozen lib, links to datasets/ and node_modules/.
    const lib = path.join(temp, "lib");
    fs.cpSync(path.join(root, "lib"), lib, { recursive: true, dereference: false });
    fs.copyFileSync(path.join(root, "package.json"), path.join(temp, "package.json"));
    fs.symlinkSync(path.join(root, "datasets"), path.join(temp, "datasets"));
    fs.symlinkSync(path.join(root, "node_modules"), path.join(temp, "node_modules"));
    syncWorkspace({ root, dir: workspace, lib, log: () => undefined });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await lab?.stop();
    fs.rmSync(temp, { recursive: true, force: true });
  }, 120_000);

  async function newPage(): Promise<Page> {
    await context?.close().catch(() => undefined);
    context = await localContext(browser!);
    // JupyterLab's own switch for extensions is the page config's disabledExtensions. This
    // JupyterLab build ignores labconfig/page_config.json's entry for a prebuilt extension, so the
    // test sets the same key in the page it serves: the plotly extension then never loads.
    const disabled = ["@jupyterlab/apputils-extension:announcements", ...(lab && !lab.plotlyExtension ? ["jupyterlab-plotly", PLOTLY_PLUGIN] : [])];
    await context.route(
      (u: URL) => u.pathname === "/lab" || u.pathname.startsWith("/lab/tree/"),
      async (route) => {
        const response = await route.fetch();
        const body = (await response.text()).replace(/"disabledExtensions": \[[^\]]*\]/, `"disabledExtensions": ${JSON.stringify(disabled)}`);
        await route.fulfill({ response, body });
      },
    );
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") consoleLines.push(m.text());
    });
    return page;
  }

  it("A: without the plotly extension — Run All, plots drawn by the HTML fallback, checks red then green, plots survive a reload", async () => {
    lab = await startLab(false);
    const page = await newPage();
    try {
      await openNotebook(page, lab, CHAPTER_A);
      await runAll(page, 600_000);
      expect(await page.evaluate(() => JSON.parse(document.getElementById("jupyter-config-data").textContent).disabledExtensions)).toContain("jupyterlab-plotly");
      let s = await waitPlotsDrawn(page, (await state(page)).plotOutputs);
      await page.screenshot({ path: screenshotPath("jupyterlab-A1-without-extension-run-all"), fullPage: true });

      expect(s.kernelDisplayName).toBe(KERNEL_DISPLAY_NAME);
      expect(s.toolbarKernel).toContain(KERNEL_DISPLAY_NAME);
      expect(s.executed, JSON.stringify(s.errors)).toBe(s.codeCells);
      expect(s.errors).toEqual([]);
      expect(s.plotOutputs).toBeGreaterThan(0);
      expect(s.plots.length, JSON.stringify(s.plots)).toBe(s.plotOutputs);
      expect(s.plots.map((p) => p.mime), "the extension is disabled: HTML fallback").toEqual(s.plots.map(() => "text/html"));
      expect(s.plots.filter((p) => !p.drawn), "plots not drawn").toEqual([]);
      // The student version: every exercise's check box is red.
      expect(s.checks.length).toBeGreaterThan(0);
      expect(s.checks.every((c) => c === RED), s.checks.join(", ")).toBe(true);

      // Paste each reference solution into its exercise cell and rerun it and its check.
      const reference = parseNotebook(fs.readFileSync(path.join(root, "notebooks", CHAPTER_A), "utf8"));
      const solutions = reference.cells.filter(isSolutionCell).map((c) => ({ id: gradeId(c) as string, source: cellSource(c) }));
      for (const sol of solutions) {
        const index = await page.evaluate(
          ({ id, source }: { id: string; source: string }) => {
            const w = window.jupyterapp.shell.currentWidget;
            const cells = w.content.model.cells;
            for (let i = 0; i < cells.length; i++) {
              const c = cells.get(i);
              if (c.getMetadata("nbgrader")?.grade_id === id) {
                c.sharedModel.setSource(source);
                return i;
              }
            }
            return -1;
          },
          sol,
        );
        expect(index, `exercise ${sol.id} in the workspace copy`).toBeGreaterThanOrEqual(0);
        await runCell(page, index);
        await runCell(page, index + 1);
      }
      s = await state(page);
      await page.screenshot({ path: screenshotPath("jupyterlab-A2-solutions-pasted"), fullPage: true });
      expect(s.errors).toEqual([]);
      expect(s.checks.length).toBe(solutions.length);
      expect(s.checks.every((c) => c === GREEN), s.checks.join(", ")).toBe(true);

      // The reload case: save, reload the tab while the kernel keeps running.
      const kernelId = s.kernelId;
      const plotCount = s.plotOutputs;
      await page.evaluate(() => window.jupyterapp.commands.execute("docmanager:save"));
      await sleep(1000);
      const reloaded = await newPage();
      await openNotebook(reloaded, lab, CHAPTER_A);
      s = await waitPlotsDrawn(reloaded, plotCount);
      // The new page had no plotly.js: the plots' loader fetched it, once, from the Jupyter server.
      expect(await reloaded.evaluate(() => performance.getEntriesByType("resource").filter((e: any) => e.name.endsWith("/static/plotly.min.js")).length)).toBe(1);
      await reloaded.screenshot({ path: screenshotPath("jupyterlab-A3-after-reload"), fullPage: true });
      expect(s.kernelId, "the same kernel kept running").toBe(kernelId);
      expect(s.plots.filter((p) => !p.drawn), "saved plots after reload").toEqual([]);

      // Clear every output, rerun only one plot cell on the running kernel: it draws.
      await reloaded.evaluate(() => window.jupyterapp.commands.execute("notebook:clear-all-cell-outputs"));
      const plotCell = reference.cells.findIndex((c) => c.cell_type === "code" && /\b(lineChart|barChart|heatmap|scatter)\(/.test(cellSource(c)));
      expect(plotCell).toBeGreaterThanOrEqual(0);
      await runCell(reloaded, plotCell);
      s = await waitPlotsDrawn(reloaded, 1);
      await reloaded.screenshot({ path: screenshotPath("jupyterlab-A4-rerun-after-clear"), fullPage: true });
      expect(s.errors).toEqual([]);
      expect(s.plots.length).toBe(1);
      expect(s.plots[0].drawn, s.plots[0].text).toBe(true);
    } finally {
      await lab.stop();
      lab = null;
    }
  }, 900_000);

  it("B: with the plotly extension — plots rendered from application/vnd.plotly.v1+json", async () => {
    lab = await startLab(true);
    const page = await newPage();
    try {
      await openNotebook(page, lab, CHAPTER_B);
      await runAll(page, 600_000);
      const s = await waitPlotsDrawn(page, (await state(page)).plotOutputs);
      await page.screenshot({ path: screenshotPath("jupyterlab-B-with-extension"), fullPage: true });
      expect(s.kernelDisplayName).toBe(KERNEL_DISPLAY_NAME);
      expect(s.executed, JSON.stringify(s.errors)).toBe(s.codeCells);
      expect(s.errors).toEqual([]);
      expect(s.plotOutputs).toBeGreaterThan(0);
      expect(s.plots.length).toBe(s.plotOutputs);
      expect(s.plots.every((p) => p.mime === "application/vnd.plotly.v1+json"), JSON.stringify(s.plots.map((p) => p.mime))).toBe(true);
      expect(s.plots.filter((p) => !p.drawn)).toEqual([]);
      expect(s.checks.length).toBeGreaterThan(0);
      expect(s.checks.every((c) => c === RED)).toBe(true);
    } finally {
      await lab.stop();
      lab = null;
    }
  }, 900_000);

  it("C: a TrainingProgress output updates in place (one output whose content changes)", async () => {
    const file = "browser-progress.ipynb";
    const code = [
      'import { TrainingProgress } from "./lib/notebook";',
      'const progress = new TrainingProgress({ totalSteps: 30, title: "browser test", redrawMs: 50 });',
      "for (let step = 1; step <= 30; step++) {",
      "  await new Promise((r) => setTimeout(r, 150));",
      "  await progress.update({ step, loss: 5 / step });",
      "}",
      "progress.finish();",
    ].join("\n");
    fs.writeFileSync(
      path.join(workspace, file),
      JSON.stringify({
        cells: [{ cell_type: "code", execution_count: null, id: "progress", metadata: {}, outputs: [], source: code }],
        metadata: { kernelspec: { display_name: KERNEL_DISPLAY_NAME, language: "typescript", name: KERNEL_NAME } },
        nbformat: 4,
        nbformat_minor: 5,
      }),
    );
    lab = await startLab(false);
    const page = await newPage();
    try {
      await openNotebook(page, lab, file);
      // Sample the output area while the cell runs.
      await page.evaluate(() => {
        window.__samples = [];
        window.__sampler = setInterval(() => {
          const area = window.jupyterapp.shell.currentWidget.node.querySelector(".jp-Cell .jp-OutputArea");
          const outs = area ? area.querySelectorAll(".jp-OutputArea-output") : [];
          window.__samples.push({ count: outs.length, text: outs.length ? outs[0].textContent : "" });
        }, 100);
      });
      await runAll(page, 300_000);
      // The kernel can go idle a moment before the last display update is drawn (seen on a loaded machine): wait for it.
      await page.waitForFunction(
        () => {
          const area = window.jupyterapp.shell.currentWidget.node.querySelector(".jp-Cell .jp-OutputArea");
          const out = area ? area.querySelector(".jp-OutputArea-output") : null;
          return !!out && (out.textContent ?? "").includes("step 30/30");
        },
        undefined,
        { timeout: 15_000 },
      );
      const samples: { count: number; text: string }[] = await page.evaluate(() => {
        clearInterval(window.__sampler);
        return window.__samples;
      });
      await page.screenshot({ path: screenshotPath("jupyterlab-C-training-progress"), fullPage: true });
      const s = await state(page);
      expect(s.errors).toEqual([]);
      expect(Math.max(...samples.map((x) => x.count)), "never more than one output").toBe(1);
      const texts = new Set(samples.filter((x) => x.count === 1).map((x) => x.text));
      expect(texts.size, "the one output changed over time").toBeGreaterThanOrEqual(3);
      const last: string = await page.evaluate(() => {
        const area = window.jupyterapp.shell.currentWidget.node.querySelector(".jp-Cell .jp-OutputArea");
        const outs = area ? area.querySelectorAll(".jp-OutputArea-output") : [];
        return outs.length === 1 ? outs[0].textContent ?? "" : `${outs.length} outputs`;
      });
      expect(last).toContain("step 30/30");
    } finally {
      await lab.stop();
      lab = null;
    }
  }, 600_000);
});
