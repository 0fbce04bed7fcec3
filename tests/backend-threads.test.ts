/**
 * The wasm backend on every core (lib/backend/wasmThreads.ts): the same numbers as one thread,
 * no tensor leaks, a clean fallback to one thread, clear errors, and processes that end.
 * Each case runs in a child process: the thread count is fixed when a process starts its backend.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { requestedThreads } from "../lib/backend";

const child = path.join(__dirname, "fixtures", "threads-child.ts");
const tsNode = require.resolve("ts-node/dist/bin");

function run(env: Record<string, string>, args: string[] = [], nodeFlags: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeFlags, tsNode, "--transpile-only", child, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 90_000,
  });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("{"));
  return { status: r.status, signal: r.signal, stderr: r.stderr ?? "", out: line ? (JSON.parse(line) as { info: { threads: number; description: string; threadsNote?: string }; losses: number[]; leaked: number }) : null };
}

describe("wasm backend threads", () => {
  it("trains with 2 threads to the same losses as 1 thread, bit for bit, without leaks, and the process ends by itself", () => {
    const two = run({ TINY_LLM_THREADS: "2" });
    const one = run({ TINY_LLM_THREADS: "1" });
    expect(two.status, two.stderr).toBe(0);
    expect(one.status, one.stderr).toBe(0);
    expect(two.out?.info.threads).toBe(2);
    expect(two.out?.info.description).toContain("2 threads");
    expect(one.out?.info.threads).toBe(1);
    expect(two.out?.losses).toHaveLength(6);
    expect(two.out?.losses).toEqual(one.out?.losses);
    expect(two.out?.losses[5]).toBeLessThan(two.out!.losses[0]); // it trains
    expect(two.out?.leaked).toBe(0);
    expect(one.out?.leaked).toBe(0);
  });

  it("falls back to one thread, and says why, where SharedArrayBuffer is missing", () => {
    const r = run({ TINY_LLM_THREADS: "2" }, [], ["--no-harmony-sharedarraybuffer"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.out?.info.threads).toBe(1);
    expect(r.out?.info.threadsNote).toMatch(/SharedArrayBuffer/);
    expect(r.out?.losses).toEqual(run({ TINY_LLM_THREADS: "1" }).out?.losses);
  });

  it("a script that fails after a threaded matMul exits with its error instead of hanging on the threads", () => {
    const r = run({ TINY_LLM_THREADS: "2" }, ["throw"]);
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("deliberate failure after a threaded matMul");
  });

  it("rejects a thread count that is not a whole number ≥ 1, naming the fix", () => {
    const saved = process.env.TINY_LLM_THREADS;
    try {
      process.env.TINY_LLM_THREADS = "two";
      expect(() => requestedThreads()).toThrow(/TINY_LLM_THREADS=1/);
      expect(() => requestedThreads(0)).toThrow(/whole number ≥ 1/);
      process.env.TINY_LLM_THREADS = "3";
      expect(requestedThreads()).toBe(3);
      expect(requestedThreads(1)).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.TINY_LLM_THREADS;
      else process.env.TINY_LLM_THREADS = saved;
    }
  });
});
