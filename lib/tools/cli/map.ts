/**
 * `npm run map [-- --out FILE.svg] [--png FILE.png]` draws chapter 10's one-page map
 * (LLM 작동의 핵심 원리 한 장 정리) from the committed models, with the same function the
 * notebook uses (measureCourse in lib/training/capstone.ts), and writes it as SVG — by
 * default course-map.svg in the current folder — and, with --png, as an image rendered by
 * Chromium (/usr/bin/chromium or $TINY_LLM_CHROMIUM; needs playwright-core, a dev dependency).
 * Prints the numbers as JSON.
 */
import * as fs from "fs";
import * as path from "path";
import { setupBackend } from "../../backend";
import { loadAlignedModel, loadBaseModel, loadFineTunedModel, loadStyleTunedModel } from "../../datasets";
import { courseMapSvg } from "../../notebook/diagrams";
import { measureCourse } from "../../training/capstone";

const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

export function parseMapArgs(args: string[], cwd: string): { out: string; png?: string } {
  let out = path.join(cwd, "course-map.svg");
  let png: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out" && args[i + 1]) out = path.resolve(cwd, args[++i]);
    else if (args[i] === "--png" && args[i + 1]) png = path.resolve(cwd, args[++i]);
    else throw new Error(`Unknown option "${args[i]}". Usage: npm run map [-- --out FILE.svg] [--png FILE.png]`);
  }
  if (!out.endsWith(".svg")) throw new Error(`--out ${out}: the map is SVG; name the file …/something.svg`);
  if (png && !png.endsWith(".png")) throw new Error(`--png ${png}: name the image …/something.png`);
  return { out, png };
}

async function renderPng(svg: string, file: string): Promise<void> {
  const executablePath = process.env.TINY_LLM_CHROMIUM || "/usr/bin/chromium";
  if (!fs.existsSync(executablePath)) throw new Error(`--png needs Chromium at ${executablePath} (apt-get install chromium, or set TINY_LLM_CHROMIUM).`);
  // playwright-core is a dev dependency of the course (the browser tests use it).
  const { chromium } = require("playwright-core") as typeof import("playwright-core");
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 2 });
    await page.setContent(`<!doctype html><meta charset="utf-8"><body style="margin:0">${svg}</body>`);
    await page.locator("svg").first().screenshot({ path: file });
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const { out, png } = parseMapArgs(process.argv.slice(2), process.env.INIT_CWD || process.cwd());
  await setupBackend({ verbose: false });
  const base = loadBaseModel();
  const models = { tokenizer: base.tokenizer, base: base.model, sft: loadFineTunedModel().model, piSFT: loadStyleTunedModel().model, piDPO: loadAlignedModel().model };
  try {
    const { numbers } = measureCourse(models);
    const svg = courseMapSvg(numbers);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, svg);
    process.stderr.write(`map: wrote ${out}\n`);
    if (png) {
      await renderPng(svg, png);
      process.stderr.write(`map: wrote ${png}\n`);
    }
    console.log(JSON.stringify(numbers, null, 1));
  } finally {
    for (const m of [models.base, models.sft, models.piSFT, models.piDPO]) m.dispose();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`map: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
