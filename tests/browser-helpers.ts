/**
 * Shared by the real-browser tests: headless Debian Chromium through playwright-core (no
 * browser download), a free port on 127.0.0.1, every request to anything but localhost
 * refused, and screenshots in dist/browser-tests/ (git-ignored) for looking at failures.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { Browser, BrowserContext, Page } from "playwright-core";

export const root = path.resolve(__dirname, "..");
export const CHROMIUM = process.env.TINY_LLM_CHROMIUM || "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  // A page the test serves through page.route() counts as non-local for Chromium's Local Network
  // Access checks, which then block its WebSockets to 127.0.0.1 (the kernel channel).
  "--disable-features=LocalNetworkAccessChecks",
];
export const ARTIFACTS = path.join(root, "dist", "browser-tests");

/** Why the browser tests cannot run here, or null. In CI a missing browser is a failure, not a skip. */
export function browserMissing(): string | null {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing (Debian: apt-get install chromium fonts-noto-cjk)`;
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 120_000 });
}

/** A context that only ever talks to 127.0.0.1/localhost. */
export async function localContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.route("**/*", (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === "127.0.0.1" || host === "localhost" || route.request().url().startsWith("data:")) return route.continue();
    return route.abort();
  });
  return context;
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, `${name}.png`);
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stop a detached child and its whole process group (kernels included); waits until gone. */
export async function stopGroup(child: ChildProcess | null): Promise<void> {
  if (!child || child.pid === undefined) return;
  const pgid = child.pid;
  if (groupAlive(pgid)) process.kill(-pgid, "SIGTERM");
  for (let i = 0; i < 100 && groupAlive(pgid); i++) await sleep(100);
  if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
  for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
}

/** Spawn in its own process group (so stopGroup can end the whole tree), collecting output. */
export function spawnGroup(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): { child: ChildProcess; output: () => string } {
  let out = "";
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  return { child, output: () => out };
}

/** Collect what goes wrong on a page: console errors, page errors, failed requests. */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  return problems;
}
