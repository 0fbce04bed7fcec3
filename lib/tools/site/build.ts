/**
 * `npm run site [-- --from DIR] [--out DIR]` — the course as a static website.
 *
 * Renders EXECUTED copies of the notebooks (the execution gate stays `npm run notebooks`; by
 * default this runs `npm run notebooks -- --save dist/executed` first when those copies are
 * missing or older than the notebooks), plus the course's Markdown pages (glossary.md), into
 * DIR (default dist/site/):
 *   index.html            the course map: every chapter with its title and first paragraph;
 *   NN-name.html          one page per chapter, prev/next navigation, code and outputs;
 *   assets/plotly.min.js  ONE copy of plotly.js (from the npm package) for every plot of the site;
 *   assets/site.css       a font stack that covers Hangul (Noto Sans KR/CJK, Apple SD Gothic Neo, Malgun Gothic).
 * Every plot is drawn from its application/vnd.plotly.v1+json data, interactive and offline.
 * Links between notebooks (`01-tokens.ipynb`, `glossary.md`) become links between pages.
 * A copy with an error output is refused (run `npm run notebooks` and fix the chapter first).
 * Publish: copy DIR to any static host (GitHub Pages, Netlify, an S3 bucket, `python3 -m http.server`).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Marked, Tokens } from "marked";
import { cellSource, Notebook, parseNotebook } from "../grader/notebook";
import { courseNotebookFiles, repoRoot } from "../paths";

export class SiteError extends Error {}

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export const FONT_STACK =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", "Nanum Gothic", sans-serif';
const MONO_STACK = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK KR", "D2Coding", monospace';

const CSS = `
:root { color-scheme: light; }
body { font-family: ${FONT_STACK}; line-height: 1.6; color: #1f2937; margin: 0; background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
nav.chapter-nav { display: flex; justify-content: space-between; gap: 1rem; padding: .6rem 1.5rem; background: #f3f4f6; border-bottom: 1px solid #e5e7eb; font-size: .95rem; }
nav.chapter-nav a { color: #1d4ed8; text-decoration: none; }
nav.chapter-nav .disabled { color: #9ca3af; }
pre, code { font-family: ${MONO_STACK}; font-size: .88rem; }
.cell-code pre { background: #f8fafc; border: 1px solid #e5e7eb; border-radius: 4px; padding: .6rem .8rem; overflow-x: auto; }
.output { margin: .3rem 0 1.2rem 0; overflow-x: auto; }
.output pre { margin: 0; padding: .3rem .8rem; white-space: pre-wrap; }
.output pre.stderr { background: #fff7ed; }
.plot { width: 100%; }
table { border-collapse: collapse; }
td, th { padding: .2rem .6rem; }
.markdown table td, .markdown table th { border: 1px solid #e5e7eb; }
ol.course-map li { margin: .6rem 0; }
ol.course-map p { margin: .2rem 0 0 0; color: #4b5563; }
footer { color: #6b7280; font-size: .85rem; margin-top: 3rem; }
`;

interface Page {
  /** File name in the site, e.g. 01-tokens.html. */
  file: string;
  title: string;
  summary: string;
  html: string;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function text(v: unknown): string {
  return Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "";
}

/** Rewrite links to course files: x.ipynb → x.html, x.md → x.html (when the site has that page). */
export function rewriteLinks(html: string, pages: Set<string>): string {
  return html.replace(/(href=")([^"#?]+)\.(ipynb|md)((?:#[^"]*)?")/g, (m, pre: string, base: string, _ext: string, rest: string) => {
    const file = `${path.basename(base)}.html`;
    return !/^[a-z]+:/i.test(base) && pages.has(file) ? `${pre}${file}${rest}` : m;
  });
}

let plotCounter = 0;

/** One output as HTML. Plots are drawn from their plotly JSON with the site's shared plotly.js. */
export function outputHtml(output: Record<string, unknown>): string {
  const type = output.output_type;
  if (type === "stream") {
    return `<pre class="${output.name === "stderr" ? "stderr" : "stdout"}">${escapeHtml(text(output.text).replace(ANSI, ""))}</pre>`;
  }
  if (type === "error") {
    throw new SiteError(`an error output (${String(output.ename)}: ${String(output.evalue)})`);
  }
  const data = (output.data ?? {}) as Record<string, unknown>;
  const plot = data["application/vnd.plotly.v1+json"] as { data: unknown; layout: Record<string, unknown>; config?: unknown } | undefined;
  if (plot) {
    const id = `plot-${++plotCounter}`;
    const height = (plot.layout?.height as number | undefined) ?? 420;
    const config = { responsive: true, displaylogo: false };
    return (
      `<div class="plot" id="${id}" style="height:${height}px"></div>` +
      `<script>Plotly.newPlot(${JSON.stringify(id)},${scriptJson(plot.data)},${scriptJson(plot.layout)},${scriptJson(config)});</script>`
    );
  }
  if (data["text/html"] !== undefined) return `<div class="html-output">${text(data["text/html"])}</div>`;
  if (data["image/png"] !== undefined) return `<img alt="" src="data:image/png;base64,${text(data["image/png"]).trim()}">`;
  if (data["image/svg+xml"] !== undefined) return text(data["image/svg+xml"]);
  if (data["text/plain"] !== undefined) return `<pre>${escapeHtml(text(data["text/plain"]).replace(ANSI, ""))}</pre>`;
  return "";
}

function firstHeading(nb: Notebook): { title: string; summary: string } {
  for (const c of nb.cells) {
    if (c.cell_type !== "markdown") continue;
    const src = cellSource(c);
    const h = src.match(/^#\s+(.+)$/m);
    if (!h) continue;
    const after = src.slice((h.index ?? 0) + h[0].length).split(/\n\s*\n/).map((p) => p.trim()).find((p) => p && !p.startsWith("#")) ?? "";
    return { title: h[1].trim(), summary: after };
  }
  return { title: "", summary: "" };
}

/** Heading anchors as Jupyter makes them (spaces become "-"), so `#Some-heading` links keep working. */
export function headingId(text: string): string {
  return text.trim().replace(/<[^>]*>/g, "").replace(/\s+/g, "-");
}

const markdown = new Marked({
  gfm: true,
  renderer: {
    heading(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, token: Tokens.Heading): string {
      return `<h${token.depth} id="${escapeHtml(headingId(token.text))}">${this.parser.parseInline(token.tokens)}</h${token.depth}>\n`;
    },
  },
});

function renderMarkdown(src: string): string {
  return markdown.parse(src, { async: false }) as string;
}

function layout(title: string, nav: string, body: string): string {
  return (
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeHtml(title)}</title>\n<link rel="stylesheet" href="assets/site.css">\n<script src="assets/plotly.min.js"></script>\n</head>\n<body>\n` +
    `${nav}\n<main>\n${body}\n<footer>Tiny LLMs in TypeScript — built from executed notebooks with <code>npm run site</code>.</footer>\n</main>\n${nav}\n</body>\n</html>\n`
  );
}

function chapterNav(pages: Page[], i: number): string {
  const prev = i > 0 ? `<a rel="prev" href="${pages[i - 1].file}">← ${escapeHtml(pages[i - 1].title)}</a>` : `<span class="disabled">← start</span>`;
  const next = i < pages.length - 1 ? `<a rel="next" href="${pages[i + 1].file}">${escapeHtml(pages[i + 1].title)} →</a>` : `<span class="disabled">end →</span>`;
  return `<nav class="chapter-nav">${prev}<a href="index.html">Course map</a>${next}</nav>`;
}

export interface BuildOptions {
  /** Folder with the executed notebooks (NN-name.ipynb). */
  from: string;
  out: string;
  /** Course folder for Markdown pages such as glossary.md (default <root>/notebooks). */
  notebooks?: string;
  log?: (line: string) => void;
}

export interface BuildResult {
  pages: string[];
  plots: number;
}

/** Build the site. Throws SiteError naming the fix for bad input. */
export function buildSite(opts: BuildOptions): BuildResult {
  const log = opts.log ?? ((l: string) => console.log(`site: ${l}`));
  const files = courseNotebookFiles(opts.from);
  if (files.length === 0) {
    throw new SiteError(`No executed notebooks (NN-name.ipynb) in ${opts.from}. Make them with: npm run notebooks -- --save ${opts.from}`);
  }
  const mdDir = opts.notebooks ?? path.join(repoRoot(), "notebooks");
  const mdFiles = fs.existsSync(mdDir) ? fs.readdirSync(mdDir).filter((f) => f.endsWith(".md")).sort() : [];
  const names = new Set([...files.map((f) => `${path.basename(f, ".ipynb")}.html`), ...mdFiles.map((f) => `${path.basename(f, ".md")}.html`), "index.html"]);

  plotCounter = 0;
  const chapters: Page[] = [];
  for (const file of files) {
    const nb = parseNotebook(fs.readFileSync(file, "utf8"));
    const name = path.basename(file, ".ipynb");
    const code = nb.cells.filter((c) => c.cell_type === "code");
    if (code.length > 0 && code.every((c) => (c.outputs ?? []).length === 0)) {
      throw new SiteError(`${file} has no outputs: the site renders EXECUTED copies. Make them with: npm run notebooks -- --save ${opts.from}`);
    }
    const run = nb.metadata.tiny_llm_run as { completed?: boolean; executed?: number; codeCells?: number } | undefined;
    if (!run) {
      throw new SiteError(`${file} was not saved by the course's runner, so the site cannot tell whether it ran to the end. Make the copies with: npm run notebooks -- --save ${opts.from}`);
    }
    if (!run.completed) {
      throw new SiteError(
        `${file}: its run stopped after ${run.executed ?? 0} of ${run.codeCells ?? "?"} code cells (a failing cell). ` +
          `The site shows only chapters that run to the end: run npm run notebooks -- ${name.slice(0, 2)}, fix what it reports, then save the copies again (npm run notebooks -- --save ${opts.from}).`,
      );
    }
    const parts: string[] = [];
    nb.cells.forEach((c, i) => {
      const src = cellSource(c);
      if (c.cell_type === "markdown") parts.push(`<section class="markdown">${renderMarkdown(src)}</section>`);
      else if (c.cell_type === "code") {
        parts.push(`<div class="cell-code"><pre><code class="language-typescript">${escapeHtml(src)}</code></pre></div>`);
        const outs = (c.outputs ?? []) as Record<string, unknown>[];
        try {
          const html = outs.map(outputHtml).join("\n");
          if (html) parts.push(`<div class="output">${html}</div>`);
        } catch (err) {
          if (err instanceof SiteError) throw new SiteError(`${file}, cell ${i + 1}: ${err.message}. The site shows only chapters that run: fix it and rerun npm run notebooks -- --save ${opts.from}`);
          throw err;
        }
      }
    });
    const { title, summary } = firstHeading(nb);
    chapters.push({ file: `${name}.html`, title: title || name, summary, html: rewriteLinks(parts.join("\n"), names) });
  }

  fs.mkdirSync(path.join(opts.out, "assets"), { recursive: true });
  fs.copyFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), path.join(opts.out, "assets", "plotly.min.js"));
  fs.writeFileSync(path.join(opts.out, "assets", "site.css"), CSS.trimStart());

  const written: string[] = [];
  chapters.forEach((p, i) => {
    fs.writeFileSync(path.join(opts.out, p.file), layout(`${p.title} — Tiny LLMs in TypeScript`, chapterNav(chapters, i), p.html));
    written.push(p.file);
  });
  const homeNav = `<nav class="chapter-nav"><span class="disabled">← start</span><a href="index.html">Course map</a>${chapters[0] ? `<a rel="next" href="${chapters[0].file}">${escapeHtml(chapters[0].title)} →</a>` : ""}</nav>`;
  for (const md of mdFiles) {
    const src = fs.readFileSync(path.join(mdDir, md), "utf8");
    const title = (src.match(/^#\s+(.+)$/m)?.[1] ?? md).trim();
    const file = `${path.basename(md, ".md")}.html`;
    fs.writeFileSync(path.join(opts.out, file), layout(`${title} — Tiny LLMs in TypeScript`, homeNav, rewriteLinks(`<section class="markdown">${renderMarkdown(src)}</section>`, names)));
    written.push(file);
  }
  const map = chapters
    .map((p) => `<li><a href="${p.file}">${escapeHtml(p.title)}</a>${p.summary ? `<p>${rewriteLinks(renderMarkdown(p.summary).replace(/^<p>|<\/p>\s*$/g, ""), names)}</p>` : ""}</li>`)
    .join("\n");
  const extra = mdFiles.map((md) => `<li><a href="${path.basename(md, ".md")}.html">${escapeHtml(path.basename(md, ".md"))}</a></li>`).join("\n");
  const index =
    `<h1>Tiny LLMs in TypeScript</h1>\n<p>How large language models work, built tiny: every chapter below was run top to bottom, ` +
    `and every number and plot on these pages is its output. Plots are interactive (hover, zoom) and work offline.</p>\n` +
    `<h2>Course map</h2>\n<ol class="course-map">\n${map}\n</ol>\n${extra ? `<h2>Also</h2>\n<ul>\n${extra}\n</ul>\n` : ""}`;
  fs.writeFileSync(path.join(opts.out, "index.html"), layout("Tiny LLMs in TypeScript", homeNav, index));
  written.unshift("index.html");
  log(`${chapters.length} chapter${chapters.length === 1 ? "" : "s"}, ${mdFiles.length} other page${mdFiles.length === 1 ? "" : "s"}, ${plotCounter} plots, one shared assets/plotly.min.js → ${opts.out}`);
  return { pages: written, plots: plotCounter };
}

/** True when DIR lacks an executed copy of a course notebook, or one is older than its notebook. */
export function executedCopiesStale(from: string, notebooks: string): boolean {
  return courseNotebookFiles(notebooks).some((nb) => {
    const copy = path.join(from, path.basename(nb));
    return !fs.existsSync(copy) || fs.statSync(copy).mtimeMs < fs.statSync(nb).mtimeMs;
  });
}

function main(argv: string[]): void {
  const root = repoRoot();
  const cwd = process.env.INIT_CWD || process.cwd();
  let from: string | null = null;
  let out = path.join(root, "dist", "site");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      if (!argv[i + 1]) {
        console.error(`site: ${a} needs a folder\nusage: npm run site -- [--from EXECUTED_DIR] [--out DIR]`);
        process.exit(2);
      }
      return argv[++i];
    };
    if (a === "--from") from = path.resolve(cwd, value());
    else if (a === "--out") out = path.resolve(cwd, value());
    else {
      console.error(`site: unknown option ${a}\nusage: npm run site -- [--from EXECUTED_DIR] [--out DIR]`);
      process.exit(2);
    }
  }
  if (!from) {
    from = path.join(root, "dist", "executed");
    if (executedCopiesStale(from, path.join(root, "notebooks"))) {
      console.log(`site: executing the notebooks first (npm run notebooks -- --save ${path.relative(root, from)})`);
      const res = spawnSync("npm", ["run", "notebooks", "--", "--save", from], { cwd: root, stdio: "inherit" });
      if (res.status !== 0) {
        console.error("site: a notebook failed (see above); the site is built only from chapters that run. Fix it, then npm run site again.");
        process.exit(1);
      }
    }
  }
  try {
    buildSite({ from, out });
    console.log(`site: open ${path.join(out, "index.html")}, or serve it: python3 -m http.server -d ${out} 8000`);
  } catch (err) {
    if (err instanceof SiteError) {
      console.error(`site: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

if (require.main === module) main(process.argv.slice(2));
