/**
 * `npm start` serves the course on localhost with the tiny-llm-ts kernel listed (and selected
 * as the default). Started on a free port with a known token, queried, then stopped by
 * killing its whole process group.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { findServerUrl, jupyterArgs, parseStartArgs, staticPathArg } from "../lib/tools/cli/start";
import { freePort, groupAlive, stopGroup } from "./browser-helpers";

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-start-ws-"));
afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }));

const root = path.resolve(__dirname, "..");
const tsNode = path.join(root, "node_modules", "ts-node", "dist", "bin.js");



const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("npm start", () => {
  it("builds Jupyter's command line: localhost unless told otherwise, course kernel as default", () => {
    const args = jupyterArgs("notebook", ["--port", "9999", "--no-browser"], false);
    expect(args.slice(0, 2)).toEqual(["-m", "notebook"]);
    expect(args).toContain("--ip=127.0.0.1");
    expect(args).toContain("--MultiKernelManager.default_kernel_name=tiny-llm-ts");
    expect(args.slice(-3)).toEqual(["--port", "9999", "--no-browser"]);
    expect(jupyterArgs("jupyterlab", ["--ServerApp.ip=0.0.0.0"], false)).not.toContain("--ip=127.0.0.1");
    expect(jupyterArgs("jupyterlab", [], true)).toContain("--allow-root");
    expect(findServerUrl("[I] Jupyter is running at:\n[I] http://127.0.0.1:8890/lab?token=abc\n")).toBe("http://127.0.0.1:8890/lab?token=abc");
    expect(parseStartArgs(["--solutions", "--port", "1", "--workspace=w"])).toEqual({ solutions: true, workspace: "w", passThrough: ["--port", "1"] });
    expect(staticPathArg("notebook", "6.4.12", "/d")).toBe('--NotebookApp.extra_static_paths=["/d"]');
    expect(staticPathArg("jupyterlab", undefined, "/d")).toBe('--ServerApp.extra_static_paths=["/d"]');
  });

  it("serves the learner's workspace on localhost with the tiny-llm-ts kernel listed and plotly.js served, and stops cleanly", async () => {
    const port = await freePort();
    const token = crypto.randomBytes(12).toString("hex");
    const child = spawn(process.execPath, [tsNode, "--transpile-only", path.join(root, "lib", "tools", "cli", "start.ts"), "--workspace", workspace, "--port", String(port), "--no-browser"], {
      cwd: root,
      env: { ...process.env, JUPYTER_TOKEN: token, BROWSER: "true" },
      detached: true, // own process group, so the whole tree can be stopped at once
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const pgid = child.pid as number;
    let exited = false;
    child.on("exit", () => (exited = true));
    try {
      let body: { default?: string; kernelspecs?: Record<string, { spec: { argv: string[]; display_name: string } }> } | null = null;
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && !exited) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/kernelspecs`, { headers: { Authorization: `token ${token}` } });
          if (res.ok) {
            body = await res.json();
            break;
          }
        } catch {
          /* not up yet */
        }
        await sleep(300);
      }
      expect(body, `server did not answer; output:\n${out}`).not.toBeNull();
      expect(Object.keys(body!.kernelspecs!)).toContain("tiny-llm-ts");
      expect(body!.default).toBe("tiny-llm-ts");
      const spec = body!.kernelspecs!["tiny-llm-ts"].spec;
      expect(spec.argv[1]).toBe(path.join(root, "node_modules", "tslab", "bin", "tslab"));
      expect(spec.display_name).toBe("TypeScript (tiny-llm course)");
      // Without the token the API refuses: the server is not open to anyone.
      const anon = await fetch(`http://127.0.0.1:${port}/api/kernelspecs`);
      expect(anon.status).toBe(403);
      // The server root is the workspace: student versions, and the lib link.
      const contents = await fetch(`http://127.0.0.1:${port}/api/contents/`, { headers: { Authorization: `token ${token}` } });
      const names = ((await contents.json()) as { content: { name: string }[] }).content.map((c) => c.name);
      expect(names).toEqual(expect.arrayContaining(["00-introduction.ipynb", "lib"]));
      expect(fs.readFileSync(path.join(workspace, "00-introduction.ipynb"), "utf8")).toContain("not implemented yet");
      // plotly.js is served offline where every plot's loader looks for it.
      const plotly = await fetch(`http://127.0.0.1:${port}/static/plotly.min.js`);
      expect(plotly.status).toBe(200);
      expect(await plotly.text()).toContain("window.Plotly");
      // Wait for start.ts to announce the URL it prints for the user.
      for (let i = 0; i < 50 && !/the course is running at/.test(out); i++) await sleep(100);
      expect(out).toContain(`the course is running at http://127.0.0.1:${port}/`);
      expect(out).toContain(`token=${token}`);
    } finally {
      await stopGroup(child);
    }
    expect(groupAlive(pgid)).toBe(false);
    // The port is free again.
    await expect(
      new Promise<void>((resolve, reject) => {
        const srv = net.createServer().once("error", reject);
        srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
      }),
    ).resolves.toBeUndefined();
  });
});
