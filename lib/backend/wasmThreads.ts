/**
 * Every core for the wasm backend under Node: tfjs's threaded build (XNNPACK's thread pool).
 *
 * tfjs-backend-wasm ships a threaded SIMD binary, but turns it off under Node (tfjs issue #3830):
 * its Emscripten glue starts each thread as a Web Worker from a `blob:` URL, which Node's
 * `worker_threads` cannot load, and the worker then loads the glue itself from another `blob:`
 * URL. What this file does, and nothing else:
 *
 *   1. a `Worker` class for the glue that starts the package's own worker script
 *      (`wasm-out/…threaded-simd.worker.js`) as code, and makes its `blob:` import load the
 *      package's own glue file (`wasm-out/…threaded-simd.js`) — same package, same version;
 *   2. the workers never keep Node alive (a script ends when its work ends; a kernel restart
 *      ends them with the process);
 *   3. tfjs's flag that says "threads are supported", and the thread count. The C++ side takes
 *      min(requested, logical cores / 2) — it assumes two hyper-threads per core — so the core
 *      count is reported doubled while the module starts.
 *
 * Determinism: XNNPACK splits a matMul by output tiles, and each output element is summed by one
 * thread in the same order whatever the thread count, so results are bit-identical to one thread
 * (tests/backend-threads.test.ts checks a training run's losses).
 */
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import * as wasmBackend from "@tensorflow/tfjs-backend-wasm";

type NodeWorkerClass = typeof import("worker_threads").Worker;

/** Why threads cannot run here, or null when they can. */
export function wasmThreadsUnavailableReason(): string | null {
  if (typeof SharedArrayBuffer === "undefined") return "this Node has no SharedArrayBuffer";
  try {
    require("worker_threads");
  } catch {
    return "this Node has no worker_threads";
  }
  return null;
}

let installed = false;

/** The Worker class the Emscripten glue finds on globalThis (its own assignment is ignored). */
function installWorkerShim(): void {
  if (installed) return;
  const { Worker: NodeWorker } = require("worker_threads") as { Worker: NodeWorkerClass };
  const wasmOut = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js"));
  const glue = path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.js");
  const { wasmWorkerContents } = require(path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
  const code =
    `if (typeof __filename === "undefined") globalThis.__filename = ${JSON.stringify(glue)};\n` +
    wasmWorkerContents.replace(/\n/g, "\\n") + // the package escapes these too before use
    `;{ const load = globalThis.importScripts; globalThis.importScripts = (u) => load(String(u).startsWith("blob:") ? ${JSON.stringify(glue)} : u); }`;
  class CourseWasmWorker extends NodeWorker {
    constructor() {
      super(code, { eval: true });
      super.unref();
    }
    // the glue refs a worker while its thread runs: XNNPACK's threads run for the life of the process
    ref(): void {}
  }
  Object.defineProperty(globalThis, "Worker", { configurable: true, get: () => CourseWasmWorker, set: () => {} });
  installed = true;
}

/**
 * Prepare tfjs's wasm backend to start with `threads` threads (call before the backend starts;
 * 1 = the single-threaded SIMD build). Returns a function that undoes the temporary changes
 * once the backend has started.
 */
export function prepareWasmThreads(threads: number): () => void {
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", threads > 1);
  if (threads <= 1) return () => {};
  installWorkerShim();
  wasmBackend.setThreadsCount(threads);
  // the os module itself (an `import * as` namespace would be a copy the glue does not read)
  const os = require("os") as { cpus: () => unknown[] };
  const cpus = os.cpus;
  const reported = Math.max(threads, cpus().length) * 2;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: reported }, (_, i) => real[i % Math.max(1, real.length)]);
  };
  return () => {
    os.cpus = cpus;
  };
}

/** The threads the wasm backend runs on (1 before it started or without threads). */
export function wasmThreadsInUse(): number {
  try {
    return wasmBackend.getThreadsCount();
  } catch {
    return 1;
  }
}
