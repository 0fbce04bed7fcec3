/**
 * Choosing the tfjs backend.
 *
 * `setupBackend()` picks the fastest backend this Node can run:
 *   1. `tensorflow` — the native backend, only if the user installed @tensorflow/tfjs-node;
 *   2. `wasm` — WebAssembly with SIMD (the course default: 4–9× the cpu backend), on every
 *      core: tfjs's threaded build, made to run under Node in backend/wasmThreads.ts
 *      (`threads`, or TINY_LLM_THREADS=1 for one thread; same numbers either way);
 *   3. `cpu` — pure JavaScript, always available.
 * It silences tfjs's console banner and reports what it chose — and how `train()` will use the
 * cores: with 2 threads or more, the GPT tasks train on 2 data-parallel workers
 * (training/dataParallel.ts), each on its share of the threads.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { prepareWasmThreads, wasmThreadsInUse, wasmThreadsUnavailableReason } from "./backend/wasmThreads";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  name: BackendName;
  simd: boolean;
  /** Threads the backend computes on (wasm: XNNPACK's thread pool; 1 for cpu). */
  threads: number;
  /** Why fewer threads run than were asked for, if they do. */
  threadsNote?: string;
  /** Human-readable one-liner, e.g. "tfjs 4.22.0 on wasm (SIMD, 2 threads)". */
  description: string;
  /** Data-parallel workers train() uses by default for the tasks it can copy (1: none; TINY_LLM_WORKERS overrides). */
  trainingWorkers: number;
}

/** train()'s default data-parallel workers when the backend has this many threads or more (see lib/training/loop.ts). */
export const DATA_PARALLEL_WORKERS = 2;

/** The workers train() uses by default: TINY_LLM_WORKERS if it is a number, else 2 on a wasm backend with 2+ threads, else 1. */
export function defaultTrainingWorkers(info: Pick<BackendInfo, "name" | "threads">): number {
  const env = Number(process.env.TINY_LLM_WORKERS);
  if (Number.isInteger(env) && env >= 1) return env;
  return info.name === "wasm" && info.threads >= DATA_PARALLEL_WORKERS ? DATA_PARALLEL_WORKERS : 1;
}

export interface BackendOptions {
  /** Force one backend (also settable with the env var TINY_LLM_BACKEND). */
  backend?: BackendName;
  /** Print the chosen backend (default true). */
  verbose?: boolean;
  /**
   * Threads for the wasm backend (also settable with the env var TINY_LLM_THREADS; default: the
   * machine's cores, at most 4). Fixed once the backend has started in a process.
   */
  threads?: number;
}

/** The thread count asked for: the option, else TINY_LLM_THREADS, else the cores (at most 4). */
export function requestedThreads(option?: number): number {
  const env = process.env.TINY_LLM_THREADS;
  const value = option ?? (env !== undefined && env !== "" ? Number(env) : undefined);
  if (value === undefined) {
    const os = require("os") as { availableParallelism?: () => number; cpus: () => unknown[] };
    return Math.max(1, Math.min(4, os.availableParallelism ? os.availableParallelism() : os.cpus().length));
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`threads must be a whole number ≥ 1, got ${option ?? `TINY_LLM_THREADS=${env}`}. Use e.g. TINY_LLM_THREADS=1 (one thread) or leave it unset (every core).`);
  }
  return value;
}

let chosen: BackendInfo | null = null;

function hasNativeBackend(): boolean {
  try {
    require.resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

/** Start the wasm backend on `threads` threads, falling back to one thread if that fails. */
async function startWasm(threads: number): Promise<{ ok: boolean; note?: string }> {
  const unavailable = threads > 1 ? wasmThreadsUnavailableReason() : null;
  if (threads > 1 && !unavailable) {
    const restore = prepareWasmThreads(threads);
    let ok = false;
    try {
      ok = await tryBackend("wasm");
    } finally {
      restore();
    }
    if (ok) return { ok };
    // a failed start leaves the factory registered: the next setBackend calls it again
  }
  prepareWasmThreads(1);
  const ok = await tryBackend("wasm");
  return { ok, note: threads > 1 ? `one thread: ${unavailable ?? "the threaded build did not start"}` : undefined };
}

async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === "tensorflow") {
      // Loaded by name so the course never depends on it.
      const modName = "@tensorflow/tfjs-node";
      require(modName);
    }
    const ok = await tf.setBackend(name);
    if (!ok) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}

const PROCESS_EVENTS = ["uncaughtException", "unhandledRejection"] as const;

/**
 * Runs `start` and then removes any `uncaughtException` / `unhandledRejection` listener it added.
 * The wasm backend's Emscripten glue installs listeners that re-throw every stray error, which
 * kills a notebook kernel that would otherwise print the error and live on (tslab does): a learner
 * would lose every variable to a late promise rejection. Without a kernel Node's default holds
 * (a stray error ends the script).
 */
export async function keepingProcessHandlers<T>(start: () => Promise<T>): Promise<T> {
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(process.listeners(e as "uncaughtException"))]));
  try {
    return await start();
  } finally {
    for (const e of PROCESS_EVENTS) {
      const kept = before.get(e) as Set<unknown>;
      for (const l of process.listeners(e as "uncaughtException")) if (!kept.has(l)) process.removeListener(e, l);
    }
  }
}

/** Select and initialise the fastest available backend. Safe to call many times. */
export async function setupBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const forced = options.backend ?? (process.env.TINY_LLM_BACKEND as BackendName | undefined);
  const verbose = options.verbose ?? true;
  if (chosen && (!forced || forced === chosen.name) && tf.getBackend() === chosen.name) {
    if (options.threads !== undefined && chosen.name === "wasm" && options.threads !== chosen.threads && !chosen.threadsNote) {
      throw new Error(`The wasm backend already runs on ${chosen.threads} thread(s) in this process; the count is fixed when it starts. Restart the kernel (Kernel → Restart) and call setupBackend({ threads: ${options.threads} }) first, or set TINY_LLM_THREADS=${options.threads}.`);
    }
    return chosen;
  }
  tf.enableProdMode(); // silences the "install tfjs-node" banner and debug checks
  const valid: BackendName[] = ["tensorflow", "wasm", "cpu"];
  if (forced && !valid.includes(forced)) {
    throw new Error(`Unknown backend "${forced}". Use one of: ${valid.join(", ")} (check TINY_LLM_BACKEND).`);
  }
  const order: BackendName[] = forced ? [forced] : hasNativeBackend() ? valid : ["wasm", "cpu"];
  const threads = requestedThreads(options.threads);
  for (const name of order) {
    let note: string | undefined;
    const started = await keepingProcessHandlers(async () => {
      if (name !== "wasm") return tryBackend(name);
      const r = await startWasm(threads);
      note = r.note;
      return r.ok;
    });
    if (started) {
      const simd = name === "wasm" ? tf.env().getBool("WASM_HAS_SIMD_SUPPORT") : false;
      const inUse = name === "wasm" ? wasmThreadsInUse() : name === "cpu" ? 1 : threads;
      const how = name === "wasm" ? ` (${simd ? "SIMD" : "no SIMD"}, ${inUse} thread${inUse === 1 ? "" : "s"})` : "";
      const info = { name, simd, threads: inUse, threadsNote: note, description: `tfjs ${tf.version.tfjs} on ${name}${how}` };
      chosen = { ...info, trainingWorkers: defaultTrainingWorkers(info) };
      const training = chosen.trainingWorkers > 1 ? `; training on ${chosen.trainingWorkers} data-parallel workers` : "";
      if (verbose) console.log(`Backend: ${chosen.description}${training}${note ? ` — ${note}` : ""}`);
      return chosen;
    }
  }
  throw new Error(
    forced
      ? `Backend "${forced}" could not start. Unset TINY_LLM_BACKEND or install it (npm install @tensorflow/tfjs-node for "tensorflow").`
      : "No tfjs backend could start; run `npm install` again.",
  );
}

/** The backend chosen by setupBackend(), or null before it ran. */
export function currentBackend(): BackendInfo | null {
  return chosen;
}
