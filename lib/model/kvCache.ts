/**
 * The KV cache: generating one token at a time, the keys and values of earlier
 * positions never change (causal attention: a position only looks back), so they are
 * computed once, kept, and each step computes only the new position's.
 *
 *   self[i]   layer i's self-attention keys/values, (B, H, T_so_far, d) — grow by one per step
 *   cross[i]  an encoder–decoder's cross-attention keys/values of the encoder output,
 *             (B, H, S, d) — computed at the first step, then reused
 *
 * Results are exactly those of recomputing everything (tests/generate.test.ts).
 */
import * as tf from "@tensorflow/tfjs";

/** Cached keys and values of one attention layer, (B, H, T, d) each. */
export interface LayerKV {
  k: tf.Tensor4D | null;
  v: tf.Tensor4D | null;
}

export class KVCache {
  /** Number of positions cached. */
  length = 0;
  /** Sequences per batch (set by the first forward pass). */
  batch = 0;
  readonly self: LayerKV[];
  readonly cross: LayerKV[];

  constructor(nLayers: number, withCross = false) {
    this.self = Array.from({ length: nLayers }, () => ({ k: null, v: null }));
    this.cross = withCross ? Array.from({ length: nLayers }, () => ({ k: null, v: null })) : [];
  }

  /** Check that a forward pass of `batch` sequences of `length` new tokens fits this cache and a model with `nLayers` layers. */
  check(nLayers: number, batch: number): void {
    if (this.self.length !== nLayers) throw new Error(`This KV cache has ${this.self.length} layers but the model has ${nLayers}: use model.createCache().`);
    if (this.length > 0 && this.batch !== batch) {
      throw new Error(`This KV cache holds ${this.batch} sequences but ${batch} were given. Use a new cache (model.createCache()) for a different batch.`);
    }
  }

  /** Record that `length` positions of `batch` sequences were appended (after every layer did). */
  advance(batch: number, length: number): void {
    this.batch = batch;
    this.length += length;
  }

  /**
   * Keep only some of the cached sequences, in the order given (indices into the current
   * batch): batched generation drops the rows that have stopped, so later steps compute
   * only the rows still writing. Every kept row's keys and values are unchanged.
   */
  keepRows(rows: number[]): void {
    if (rows.some((r) => !(Number.isInteger(r) && r >= 0 && r < this.batch))) throw new Error(`keepRows: rows must be indices of the ${this.batch} cached sequences, got ${rows.join(", ")}.`);
    // Runs of consecutive rows, sliced and joined: on wasm, slice + concat is ~50× faster than gather.
    const runs: [number, number][] = [];
    for (const r of rows) {
      const run = runs[runs.length - 1];
      if (run && run[0] + run[1] === r) run[1]++;
      else runs.push([r, 1]);
    }
    const keep = <T extends tf.Tensor4D>(t: T): T => {
      const parts = runs.map(([start, size]) => tf.slice(t, [start, 0, 0, 0], [size, -1, -1, -1]));
      const out = (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as T;
      if (parts.length > 1) tf.dispose(parts);
      return out;
    };
    for (const l of [...this.self, ...this.cross]) {
      if (!l.k || !l.v) continue;
      const k = keep(l.k);
      const v = keep(l.v);
      l.k.dispose();
      l.v.dispose();
      l.k = k;
      l.v = v;
    }
    this.batch = rows.length;
  }

  /** Free the cached tensors (the cache can be reused from empty). */
  dispose(): void {
    for (const l of [...this.self, ...this.cross]) {
      l.k?.dispose();
      l.v?.dispose();
      l.k = l.v = null;
    }
    this.length = 0;
    this.batch = 0;
  }
}

/** Append new keys/values (B, H, T_new, d) to a layer's cache; returns all of them (B, H, T_so_far, d). */
export function appendKV(layer: LayerKV, k: tf.Tensor, v: tf.Tensor): { keys: tf.Tensor; values: tf.Tensor } {
  const keys = layer.k ? tf.concat([layer.k, k], 2) : k;
  const values = layer.v ? tf.concat([layer.v, v], 2) : v;
  layer.k?.dispose();
  layer.v?.dispose();
  layer.k = tf.keep(keys) as tf.Tensor4D;
  layer.v = tf.keep(values) as tf.Tensor4D;
  return { keys, values };
}

/** A cross-attention layer's keys/values: from the cache if there, else computed by `make` and kept. */
export function cachedKV(layer: LayerKV | undefined, make: () => [tf.Tensor, tf.Tensor]): { keys: tf.Tensor; values: tf.Tensor } {
  if (layer?.k && layer.v) return { keys: layer.k, values: layer.v };
  const [keys, values] = make();
  if (layer) {
    layer.k = tf.keep(keys) as tf.Tensor4D;
    layer.v = tf.keep(values) as tf.Tensor4D;
  }
  return { keys, values };
}
