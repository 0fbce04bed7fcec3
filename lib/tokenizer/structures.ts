/**
 * The data structures that make BPE fast (used by bpe.ts):
 *
 *   ChunkCorpus  every distinct pre-tokenised chunk as ids in one Int32Array,
 *                weighted by its count; merges rewrite chunks in place and
 *                report only the pair counts that change;
 *   PairHeap     the most frequent pair on top (training);
 *   MinHeap      the lowest (merged id, position) on top (encoding long chunks).
 */
import { pairKey, utf8Bytes } from "./base";

/**
 * All distinct chunks as token ids in one Int32Array (chunk c lives at
 * ids[start[c] .. start[c] + length[c])), each with its count as weight.
 * Merging shortens chunks in place.
 */
export class ChunkCorpus {
  readonly size: number;
  readonly ids: Int32Array;
  readonly start: Int32Array;
  readonly length: Int32Array;
  readonly weight: Float64Array;

  constructor(chunkCounts: Map<string, number>) {
    const encoded: Uint8Array[] = [];
    const weights: number[] = [];
    let total = 0;
    for (const [chunk, count] of chunkCounts) {
      const bytes = utf8Bytes(chunk);
      encoded.push(bytes);
      weights.push(count);
      total += bytes.length;
    }
    this.size = encoded.length;
    this.ids = new Int32Array(total);
    this.start = new Int32Array(this.size);
    this.length = new Int32Array(this.size);
    this.weight = Float64Array.from(weights);
    let at = 0;
    encoded.forEach((bytes, c) => {
      this.start[c] = at;
      this.length[c] = bytes.length;
      this.ids.set(bytes, at);
      at += bytes.length;
    });
  }

  /**
   * Merge (a, b) → id inside chunk c, left to right. Only the pairs touching an
   * occurrence change: for "x a b y" the pairs (x,a), (a,b), (b,y) disappear
   * and (x,id), (id,y) appear. Those changes go to `delta` (weighted by the
   * chunk's count), and chunks holding a new pair are added to `where`.
   */
  mergeChunk(c: number, a: number, b: number, id: number, delta: Map<number, number>, where: Map<number, number[]>): void {
    const ids = this.ids;
    const start = this.start[c];
    const end = start + this.length[c];
    const w = this.weight[c];
    const change = (x: number, y: number, d: number) => {
      const key = pairKey(x, y);
      delta.set(key, (delta.get(key) ?? 0) + d);
      if (d > 0) {
        const list = where.get(key);
        if (list === undefined) where.set(key, [c]);
        else if (list[list.length - 1] !== c) list.push(c);
      }
    };
    let out = start; // ids[start..out) is the merged chunk so far (rewritten in place)
    let mergedUpTo = -1; // input position just after the latest merge
    for (let i = start; i < end; ) {
      if (i + 1 < end && ids[i] === a && ids[i + 1] === b) {
        // Old pairs: the left one unless it belongs to the previous merge ("a b a b"), (a, b), the right one.
        if (out > start && mergedUpTo !== i) change(ids[out - 1], a, -w);
        change(a, b, -w);
        if (i + 2 < end) change(b, ids[i + 2], -w);
        // New pair on the left (the left token may itself be a new one).
        if (out > start) change(ids[out - 1], id, w);
        ids[out++] = id;
        i += 2;
        mergedUpTo = i;
      } else {
        // New pair on the right of a new token.
        if (mergedUpTo === i && out > start) change(id, ids[i], w);
        ids[out++] = ids[i++];
      }
    }
    this.length[c] = out - start;
  }
}

/**
 * Max-heap of (count, pair key): the most frequent pair on top, ties to the
 * smallest key (same rule as bestPair in base.ts). Counts change all the time,
 * so we push a fresh entry on every change and skip stale entries when popping.
 */
export class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  push(count: number, key: number): void {
    const c = this.counts;
    const k = this.keys;
    let i = c.length;
    c.push(count);
    k.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(count, key, c[p], k[p])) break;
      c[i] = c[p];
      k[i] = k[p];
      i = p;
    }
    c[i] = count;
    k[i] = key;
  }

  /** The best pair whose count is still current, or null when no pair is left. */
  popValid(current: Map<number, number>): { key: number; count: number } | null {
    while (this.counts.length > 0) {
      const count = this.counts[0];
      const key = this.keys[0];
      this.popTop();
      if (current.get(key) === count) return { key, count };
    }
    return null;
  }

  private above(c1: number, k1: number, c2: number, k2: number): boolean {
    return c1 > c2 || (c1 === c2 && k1 < k2);
  }

  private popTop(): void {
    const c = this.counts;
    const k = this.keys;
    const lastC = c.pop()!;
    const lastK = k.pop()!;
    const n = c.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.above(c[r], k[r], c[l], k[l]) ? r : l;
      if (!this.above(c[child], k[child], lastC, lastK)) break;
      c[i] = c[child];
      k[i] = k[child];
      i = child;
    }
    c[i] = lastC;
    k[i] = lastK;
  }
}

/** A min-heap of numbers, growing as needed. */
export class MinHeap {
  private items: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.items = new Float64Array(Math.max(capacity, 16));
  }

  push(x: number): void {
    if (this.size === this.items.length) {
      const bigger = new Float64Array(this.items.length * 2);
      bigger.set(this.items);
      this.items = bigger;
    }
    const a = this.items;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= x) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a[--this.size];
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && a[l + 1] < a[l] ? l + 1 : l;
      if (a[c] >= last) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = last;
    return top;
  }
}
