/**
 * `npm run site`: the static site built from executed notebooks. The builder's gate (only
 * complete runs, clear messages), and a real-browser check of every page: no console errors,
 * every plot drawn, every link resolving, one shared plotly.js, Hangul in the font stack.
 *
 * The executed notebooks here are made by the test (outputs from the lib's own figure and HTML
 * helpers, marked complete as the runner marks them), so the test needs no kernel and does not
 * depend on a chapter someone is editing; `npm run site` renders the runner's real copies the same way.
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { figureBundle, heatmap, lineChart, barChart } from "../lib/notebook/plots";
import { buildSite, FONT_STACK, rewriteLinks, SiteError } from "../lib/tools/site/build";
import { browserMissing, freePort, launchBrowser, localContext, pageProblems, screenshotPath } from "./browser-helpers";

const temp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-site-"));
afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

type Output = Record<string, unknown>;

function notebook(cells: { md?: string; code?: string; outputs?: Output[] }[], completed = true): string {
  return JSON.stringify({
    cells: cells.map((c, i) =>
      c.md !== undefined
        ? { cell_type: "markdown", id: `c${i}`, metadata: {}, source: c.md }
        : { cell_type: "code", id: `c${i}`, metadata: {}, execution_count: i + 1, outputs: c.outputs ?? [], source: c.code ?? "" },
    ),
    metadata: { kernelspec: { name: "tiny-llm-ts", display_name: "TypeScript (tiny-llm course)", language: "typescript" }, tiny_llm_run: { completed, codeCells: cells.filter((c) => c.code !== undefined).length, executed: 1 } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

const display = (data: Record<string, unknown>): Output => ({ output_type: "display_data", data, metadata: {} });
const stream = (text: string): Output => ({ output_type: "stream", name: "stdout", text });

function writeFixture(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const line = figureBundle(lineChart([{ name: "train", y: [4.2, 3.1, 2.5] }], { title: "손실 loss", silent: true }));
  const heat = figureBundle(heatmap([[0.1, 0.9], [0.6, 0.4]], { xLabels: ["은행", "돈"], yLabels: ["은행", "돈"], title: "attention", silent: true }));
  const bars = figureBundle(barChart([{ name: "tokens", labels: ["English", "한국어"], values: [68, 314] }], { silent: true }));
  fs.writeFileSync(
    path.join(dir, "00-alpha.ipynb"),
    notebook([
      { md: "# 00 · LLM이란 무엇인가? — what is an LLM\n\n은행 앞에 가서 돈을 찾았다: a first sentence with a [glossary](glossary.md) link.\n\n## 1. 매개변수\n\nSee [the next chapter](01-beta.ipynb), [this section](#section-two) and [the heading](#1.-매개변수)." },
      { code: 'console.log("안녕하세요");', outputs: [stream("안녕하세요\n")] },
      { code: "lineChart(...)", outputs: [display(line)] },
      { md: '<a id="section-two"></a>\n## Section two\n\nA table: | a | b |' },
      { code: "heatmap(...)", outputs: [display(heat), display({ "text/html": "<table><tr><th>토큰</th><td>314</td></tr></table>", "text/plain": "table" })] },
    ]),
  );
  fs.writeFileSync(
    path.join(dir, "01-beta.ipynb"),
    notebook([
      { md: "# 01 · 토큰 — tokens\n\nBack to [the start](00-alpha.ipynb), on to the [glossary](glossary.md#terms)." },
      { code: "barChart(...)", outputs: [display(bars), { output_type: "execute_result", execution_count: 2, data: { "text/plain": "42" }, metadata: {} }] },
    ]),
  );
}

describe("the site builder", () => {
  it("refuses missing, unexecuted, incomplete or failed copies with the fix in the message", () => {
    const empty = path.join(temp, "empty");
    fs.mkdirSync(empty);
    expect(() => buildSite({ from: empty, out: path.join(temp, "o1"), notebooks: empty, log: () => undefined })).toThrow(/npm run notebooks -- --save/);

    const partial = path.join(temp, "partial");
    fs.mkdirSync(partial);
    fs.writeFileSync(path.join(partial, "00-x.ipynb"), notebook([{ md: "# x" }, { code: "1", outputs: [stream("1\n")] }], false));
    expect(() => buildSite({ from: partial, out: path.join(temp, "o2"), notebooks: empty, log: () => undefined })).toThrow(/run stopped after .* npm run notebooks -- 00/);

    const failed = path.join(temp, "failed");
    fs.mkdirSync(failed);
    fs.writeFileSync(path.join(failed, "00-x.ipynb"), notebook([{ md: "# x" }, { code: "boom()", outputs: [{ output_type: "error", ename: "Error", evalue: "boom", traceback: [] }] }]));
    expect(() => buildSite({ from: failed, out: path.join(temp, "o3"), notebooks: empty, log: () => undefined })).toThrow(SiteError);

    const foreign = path.join(temp, "foreign");
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, "00-x.ipynb"), JSON.stringify({ ...JSON.parse(notebook([{ md: "# x" }, { code: "1", outputs: [stream("1")] }])), metadata: {} }));
    expect(() => buildSite({ from: foreign, out: path.join(temp, "o4"), notebooks: empty, log: () => undefined })).toThrow(/not saved by the course's runner/);
  });

  it("rewrites links between notebooks and Markdown pages, and leaves others alone", () => {
    const pages = new Set(["01-tokens.html", "glossary.html"]);
    expect(rewriteLinks('<a href="01-tokens.ipynb#x">', pages)).toBe('<a href="01-tokens.html#x">');
    expect(rewriteLinks('<a href="glossary.md">', pages)).toBe('<a href="glossary.html">');
    expect(rewriteLinks('<a href="https://example.org/a.md">', pages)).toBe('<a href="https://example.org/a.md">');
    expect(rewriteLinks('<a href="99-none.ipynb">', pages)).toBe('<a href="99-none.ipynb">');
  });
});

const why = browserMissing();
if (why && process.env.CI) throw new Error(`site browser test cannot run in CI: ${why}`);

describe.skipIf(why !== null)("the site in a real browser", () => {
  const from = path.join(temp, "executed");
  const md = path.join(temp, "course");
  const out = path.join(temp, "site");
  let server: http.Server | null = null;
  let base = "";
  let pages: string[] = [];

  beforeAll(async () => {
    writeFixture(from);
    fs.mkdirSync(md, { recursive: true });
    fs.writeFileSync(path.join(md, "glossary.md"), '# Glossary\n\n<a id="terms"></a>\n\n| 한국어 | English |\n|---|---|\n| 매개변수 | parameter |\n\nBack to [the course](00-alpha.ipynb).\n');
    pages = buildSite({ from, out, notebooks: md, log: () => undefined }).pages;
    const port = await freePort();
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const file = path.join(out, decodeURIComponent(url.pathname === "/" ? "/index.html" : url.pathname));
      if (!file.startsWith(out) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
        res.writeHead(404).end("not found");
        return;
      }
      const type = file.endsWith(".html") ? "text/html; charset=utf-8" : file.endsWith(".css") ? "text/css" : file.endsWith(".js") ? "application/javascript" : "application/octet-stream";
      res.writeHead(200, { "content-type": type }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", () => resolve()));
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("has an index, one page per chapter and glossary, and ONE shared copy of plotly.js", () => {
    expect(pages.sort()).toEqual(["00-alpha.html", "01-beta.html", "glossary.html", "index.html"]);
    const withPlotly: string[] = [];
    const walk = (d: string): void => {
      for (const f of fs.readdirSync(d)) {
        const p = path.join(d, f);
        if (fs.statSync(p).isDirectory()) walk(p);
        else if (fs.readFileSync(p, "utf8").includes("window.Plotly = Plotly")) withPlotly.push(path.relative(out, p));
      }
    };
    walk(out);
    expect(withPlotly).toEqual([path.join("assets", "plotly.min.js")]);
    for (const p of pages) {
      const html = fs.readFileSync(path.join(out, p), "utf8");
      expect(html).toContain('<script src="assets/plotly.min.js"></script>');
      expect(html.length).toBeLessThan(200_000);
    }
    expect(fs.readFileSync(path.join(out, "assets", "site.css"), "utf8")).toContain(FONT_STACK);
  });

  it("every page loads without console errors, every plot is drawn, every link resolves, Hangul is readable", async () => {
    const browser = await launchBrowser();
    try {
      const context = await localContext(browser);
      const page = await context.newPage();
      const problems = pageProblems(page);
      const checked = new Map<string, number>();
      for (const file of pages) {
        const url = `${base}/${file}`;
        const res = await page.goto(url, { waitUntil: "load" });
        expect(res?.status(), url).toBe(200);
        // Every plot container drawn: plotly's SVG with data marks.
        await page.waitForFunction(
          () =>
            Array.from(document.querySelectorAll(".plot")).every(
              (el) => el.querySelector("svg.main-svg") && el.querySelectorAll("g.trace path, g.point path, g.hm image, g.heatmaplayer image").length > 0,
            ),
          undefined,
          { timeout: 60_000 },
        );
        const plots = await page.evaluate(() => document.querySelectorAll(".plot").length);
        if (file === "00-alpha.html") expect(plots).toBe(2);
        if (file === "01-beta.html") expect(plots).toBe(1);
        // Hangul: the font stack names a CJK font that is installed here (fonts-noto-cjk), and Korean text has width.
        const korean = await page.evaluate(() => {
          const probe = document.createElement("span");
          probe.textContent = "은행 앞에 가서 돈을 찾았다";
          document.body.appendChild(probe);
          const w = probe.getBoundingClientRect().width;
          probe.remove();
          return { family: getComputedStyle(document.body).fontFamily, width: w, cjk: document.fonts.check('16px "Noto Sans CJK KR"', "은행") };
        });
        expect(korean.family).toContain("Noto Sans CJK KR");
        expect(korean.width).toBeGreaterThan(50);
        expect(korean.cjk).toBe(true);
        await page.screenshot({ path: screenshotPath(`site-${file.replace(/\.html$/, "")}`), fullPage: true });

        // Every link, stylesheet, script and image resolves (fragments to an element on the target page).
        const refs: string[] = await page.evaluate(() =>
          [
            ...Array.from(document.querySelectorAll("a[href]")).map((a) => (a as HTMLAnchorElement).href),
            ...Array.from(document.querySelectorAll("link[href]")).map((l) => (l as HTMLLinkElement).href),
            ...Array.from(document.querySelectorAll("script[src]")).map((s) => (s as HTMLScriptElement).src),
            ...Array.from(document.querySelectorAll("img[src]")).map((i) => (i as HTMLImageElement).src).filter((s) => !s.startsWith("data:")),
          ],
        );
        expect(refs.length).toBeGreaterThan(2);
        for (const ref of refs) {
          const u = new URL(ref);
          expect(u.origin, `${file} links outside the site: ${ref}`).toBe(base);
          const target = `${u.origin}${u.pathname}`;
          if (!checked.has(target)) checked.set(target, (await fetch(target)).status);
          expect(checked.get(target), `${file} → ${ref}`).toBe(200);
          if (u.hash) {
            const id = decodeURIComponent(u.hash.slice(1));
            const targetHtml = fs.readFileSync(path.join(out, u.pathname === "/" ? "index.html" : u.pathname.slice(1)), "utf8");
            expect(targetHtml.includes(`id="${id}"`), `${file} → ${ref}: no element with id ${id}`).toBe(true);
          }
        }
      }
      // Prev/next navigation: chapter 00 → 01 and back.
      await page.goto(`${base}/00-alpha.html`);
      await page.click('nav.chapter-nav a[rel="next"] >> nth=0');
      expect(page.url()).toBe(`${base}/01-beta.html`);
      await page.click('nav.chapter-nav a[rel="prev"] >> nth=0');
      expect(page.url()).toBe(`${base}/00-alpha.html`);
      expect(problems).toEqual([]);
      await context.close();
    } finally {
      await browser.close();
    }
  }, 300_000);
});
