/**
 * Timing tensor code honestly: warm up first, run several times, report the
 * median, and make sure nothing leaked.
 *
 *   const t = timeMedian(() => model.forward(ids).logits, { warmup: 1, repeats: 5 });
 *   t.medianMs   // the typical run, in milliseconds
 *   t.runsMs     // every timed run
 *
 * `fn` runs inside `tf.tidy`; whatever tensors it returns are read back (so the
 * work has really finished, also on asynchronous backends that read back
 * synchronously) and then disposed. The median ignores the occasional slow run
 * of a shared machine. Timings depend on the machine and its load: use them for
 * plots and for claims with wide margins, never for exact-value tests.
 */
import * as tf from "@tensorflow/tfjs";
import { performance } from "perf_hooks";

export interface TimeOptions {
  /** Untimed runs first (default 1): the first call of a shape allocates memory. */
  warmup?: number;
  /** Timed runs (default 3): at least this many. */
  repeats?: number;
  /**
   * Keep running (up to 1000 runs) until the timed runs add up to this many
   * milliseconds (default 0). Fast functions then get many runs, so one slow
   * run of a busy machine cannot move the median.
   */
  minTimeMs?: number;
}

export interface Timing {
  /** Median of the timed runs, in milliseconds. */
  medianMs: number;
  /** Every timed run, in order, in milliseconds. */
  runsMs: number[];
}

/** The median of a non-empty list (the mean of the two middle values for an even length). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median: the list is empty — time at least one run (repeats ≥ 1).");
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Every tensor in a value returned by fn (a tensor, an array, or an object of them). */
function tensorsIn(value: unknown, out: tf.Tensor[] = []): tf.Tensor[] {
  if (value instanceof tf.Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) tensorsIn(v, out);
  return out;
}

/** Run fn once: inside tf.tidy, read every returned tensor back, dispose them. */
function runOnce(fn: () => tf.TensorContainer | void): void {
  const result = tf.tidy(() => fn() ?? []) as unknown;
  const tensors = tensorsIn(result);
  for (const t of tensors) t.dataSync();
  tf.dispose(tensors);
}

/**
 * Time `fn` (synchronous tfjs code): `warmup` untimed runs, then at least
 * `repeats` timed runs (more while they add up to less than `minTimeMs`). Throws if the number of live tensors grew (a leak would make later
 * runs slower and the machine run out of memory).
 */
export function timeMedian(fn: () => tf.TensorContainer | void, options: TimeOptions = {}): Timing {
  const warmup = options.warmup ?? 1;
  const repeats = options.repeats ?? 3;
  const minTimeMs = options.minTimeMs ?? 0;
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`timeMedian: warmup must be a whole number ≥ 0, got ${warmup}.`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`timeMedian: repeats must be a whole number ≥ 1, got ${repeats}.`);
  if (!(minTimeMs >= 0)) throw new Error(`timeMedian: minTimeMs must be a number ≥ 0, got ${minTimeMs}.`);
  const before = tf.memory().numTensors;
  for (let i = 0; i < warmup; i++) runOnce(fn);
  const runsMs: number[] = [];
  let total = 0;
  while (runsMs.length < repeats || (total < minTimeMs && runsMs.length < 1000)) {
    const t0 = performance.now();
    runOnce(fn);
    const ms = performance.now() - t0;
    runsMs.push(ms);
    total += ms;
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked > 0) {
    throw new Error(
      `timeMedian: ${leaked} tensor(s) were still alive after ${warmup + runsMs.length} runs — the timed function leaks. ` +
        `Don't tf.keep() intermediate results, and dispose variables or optimizers you create inside it.`,
    );
  }
  return { medianMs: median(runsMs), runsMs };
}
