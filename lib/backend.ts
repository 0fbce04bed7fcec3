/**
 * Choosing the tfjs backend.
 *
 * `setupBackend()` picks the fastest backend this Node can run:
 *   1. `tensorflow` — the native backend, only if the user installed @tensorflow/tfjs-node;
 *   2. `wasm` — WebAssembly with SIMD (the course default: 4–9× the cpu backend);
 *   3. `cpu` — pure JavaScript, always available.
 * It silences tfjs's console banner and reports what it chose.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  name: BackendName;
  simd: boolean;
  /** Human-readable one-liner, e.g. "tfjs 4.22.0 on wasm (SIMD)". */
  description: string;
}

export interface BackendOptions {
  /** Force one backend (also settable with the env var TINY_LLM_BACKEND). */
  backend?: BackendName;
  /** Print the chosen backend (default true). */
  verbose?: boolean;
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
    return chosen;
  }
  tf.enableProdMode(); // silences the "install tfjs-node" banner and debug checks
  const valid: BackendName[] = ["tensorflow", "wasm", "cpu"];
  if (forced && !valid.includes(forced)) {
    throw new Error(`Unknown backend "${forced}". Use one of: ${valid.join(", ")} (check TINY_LLM_BACKEND).`);
  }
  const order: BackendName[] = forced ? [forced] : hasNativeBackend() ? valid : ["wasm", "cpu"];
  for (const name of order) {
    const started = await keepingProcessHandlers(() => tryBackend(name));
    if (started) {
      const simd = name === "wasm" ? tf.env().getBool("WASM_HAS_SIMD_SUPPORT") : false;
      chosen = {
        name,
        simd,
        description: `tfjs ${tf.version.tfjs} on ${name}${name === "wasm" ? (simd ? " (SIMD)" : " (no SIMD)") : ""}`,
      };
      if (verbose) console.log(`Backend: ${chosen.description}`);
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
