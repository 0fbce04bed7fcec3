/**
 * The layers a Transformer is built from: linear, LayerNorm, GELU, the
 * feed-forward block, token embeddings, dropout and the cross-entropy loss.
 *
 * Activations are kept as 2-D matrices (B·T, C) — one row per token — because
 * 2-D matMuls are the fast path of the wasm backend. Each layer with a
 * hand-written gradient (`customOp`) states its backward pass next to its
 * forward pass; `tests/model-grad.test.ts` checks every one of them against
 * finite differences.
 */
import * as tf from "@tensorflow/tfjs";
import { rng } from "../random";
import { columnSum, customOp, matMulTransposeA, transpose2d } from "./fastOps";

// ---------------------------------------------------------------- linear

/**
 * The backward pass of y = x @ W (+ b), for x (N, in), W (in, out), dy (N, out):
 *   dx = dy @ Wᵀ,   dW = xᵀ @ dy,   db = Σ_rows dy.
 * dW is computed as xᵀ @ dy or as (dyᵀ @ x)ᵀ, whichever packs the narrower
 * matrix (see fastOps.ts); db reuses whichever of dy / dyᵀ is at hand.
 */
function linearBackward(dy: tf.Tensor, x: tf.Tensor, w: tf.Tensor, withBias: boolean): tf.Tensor[] {
  const dx = tf.matMul(dy as tf.Tensor2D, transpose2d(w)); // (N, in)
  const n = x.shape[0] as number;
  if ((x.shape[1] as number) >= (dy.shape[1] as number)) {
    const dW = tf.matMul(transpose2d(x), dy as tf.Tensor2D); // packs dy
    if (!withBias) return [dx, dW];
    // dy is now packed for the matMul, so ones(1, N) @ dy costs next to nothing.
    return [dx, dW, tf.matMul(tf.ones([1, n]), dy as tf.Tensor2D).reshape([dy.shape[1] as number])];
  }
  const dyT = transpose2d(dy); // (out, N)
  const dW = transpose2d(tf.matMul(dyT, x as tf.Tensor2D)); // packs x
  return withBias ? [dx, dW, tf.sum(dyT, 1)] : [dx, dW];
}

const linearWithBias = customOp(([x, w, b], save) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b), // (N, out)
    gradFunc: (dy, [sx, sw]) => linearBackward(dy, sx, sw, true),
  };
});

const linearNoBias = customOp(([x, w], save) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy, [sx, sw]) => linearBackward(dy, sx, sw, false),
  };
});

/**
 * y = x @ W + b for x (N, in), W (in, out), b (out) → (N, out).
 * Weights are stored (in, out), like GPT-2's Conv1D (PyTorch's nn.Linear stores W^T).
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor | null): tf.Tensor2D {
  if (x.rank !== 2) throw new Error(`linear: expected a 2-D input (tokens, features), got shape [${x.shape}]. Reshape to (B·T, C) first.`);
  if (x.shape[1] !== weight.shape[0]) {
    throw new Error(`linear: input has ${x.shape[1]} features but the weight expects ${weight.shape[0]} (weight shape [${weight.shape}], stored as (in, out)).`);
  }
  return (bias ? linearWithBias(x, weight, bias) : linearNoBias(x, weight)) as tf.Tensor2D;
}

// ---------------------------------------------------------------- LayerNorm

function layerNormOp(eps: number, withBias: boolean) {
  return customOp((inputs, save) => {
    const [x, gamma, beta] = inputs; // (N, C), (C), (C)
    const mean = tf.mean(x, -1, true); // (N, 1)
    const xc = tf.sub(x, mean); // (N, C)
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)); // (N, 1)
    const xhat = tf.mul(xc, rstd); // (N, C) normalised
    save([xhat, rstd, gamma]);
    const scaled = tf.mul(xhat, gamma);
    return {
      value: withBias ? tf.add(scaled, beta) : scaled,
      gradFunc: (dy, [sxhat, srstd, sgamma]) => {
        // dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)),  with g = dy · γ
        const g = tf.mul(dy, sgamma);
        const dx = tf.mul(srstd, tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(sxhat, tf.mean(tf.mul(g, sxhat), -1, true))));
        const dgamma = columnSum(tf.mul(dy, sxhat));
        return withBias ? [dx, dgamma, columnSum(dy)] : [dx, dgamma];
      },
    };
  });
}
const layerNormOps = new Map<string, (...inputs: tf.Tensor[]) => tf.Tensor>();

/** LayerNorm over the last axis: (x − mean) / √(var + eps) · γ + β, for x (N, C). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta?: tf.Tensor | null, eps = 1e-5): tf.Tensor2D {
  const key = `${eps}|${beta ? 1 : 0}`;
  let op = layerNormOps.get(key);
  if (!op) layerNormOps.set(key, (op = layerNormOp(eps, !!beta)));
  return (beta ? op(x, gamma, beta) : op(x, gamma)) as tf.Tensor2D;
}

// ---------------------------------------------------------------- GELU

const GELU_K = 2 * Math.sqrt(2 / Math.PI); // 1.5957691…
const GELU_A = 0.044715;

const geluOp = customOp(([x], save) => {
  // GPT-2's GELU: 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) = x · sigmoid(2√(2/π)(x + 0.044715x³)).
  // The sigmoid form is the same function; on wasm sigmoid is ~15× faster than tanh.
  const x2 = tf.square(x);
  const u = tf.mul(tf.mul(x, tf.add(tf.mul(x2, GELU_A), 1)), GELU_K);
  const s = tf.sigmoid(u);
  save([x, s, x2]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy, [sx, ss, sx2]) => {
      // d/dx [x·s(u)] = s + x·s·(1 − s)·K·(1 + 3a·x²)
      const du = tf.mul(tf.add(tf.mul(sx2, 3 * GELU_A), 1), GELU_K);
      const ds = tf.mul(tf.mul(ss, tf.sub(1, ss)), tf.mul(sx, du));
      return [tf.mul(dy, tf.add(ss, ds))];
    },
  };
});

/** GELU (tanh approximation, as in GPT-2). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

/** The feed-forward non-linearity chosen by the config. */
export function activation(x: tf.Tensor, kind: "gelu" | "relu"): tf.Tensor {
  return kind === "gelu" ? gelu(x) : tf.relu(x);
}

// ---------------------------------------------------------------- dropout

/** Dropout with a seed drawn from lib/random (deterministic); identity when rate is 0 or not training. */
export function dropout(x: tf.Tensor, rate: number, training: boolean): tf.Tensor {
  if (!training || rate <= 0) return x;
  return tf.dropout(x, rate, undefined, rng().tfSeed());
}

// ---------------------------------------------------------------- token ids

/** Token ids as a flat Int32Array plus their batch shape; checks the range. */
export interface TokenBatch {
  ids: Int32Array;
  batch: number;
  length: number;
}

/**
 * Accepts number[] (one sequence), number[][] (a batch), an Int32Array with an
 * explicit shape, or a tensor (B, T) / (T). Every id must be a whole number in
 * [0, vocabSize): a fractional, NaN, negative or too large id is an error naming its position.
 */
export function toTokenBatch(ids: tf.Tensor | number[] | number[][] | Int32Array, vocabSize: number, shape?: [number, number]): TokenBatch {
  let raw: ArrayLike<number>;
  let batch: number;
  let length: number;
  if (ids instanceof tf.Tensor) {
    if (ids.rank !== 1 && ids.rank !== 2) throw new Error(`Token ids must be a (B, T) or (T) tensor, got shape [${ids.shape}].`);
    raw = ids.dataSync();
    [batch, length] = ids.rank === 2 ? (ids.shape as [number, number]) : [1, ids.shape[0]];
  } else if (ids instanceof Int32Array) {
    raw = ids;
    [batch, length] = shape ?? [1, ids.length];
  } else if (ids.length > 0 && Array.isArray(ids[0])) {
    const rows = ids as number[][];
    batch = rows.length;
    length = rows[0].length;
    rows.forEach((row, b) => {
      if (row.length !== length) throw new Error(`Token batch rows must have equal lengths: row 0 has ${length}, row ${b} has ${row.length}. Pad or crop them.`);
    });
    raw = rows.flat();
  } else {
    raw = ids as number[];
    batch = 1;
    length = raw.length;
  }
  if (batch * length !== raw.length) throw new Error(`Token ids: shape [${batch}, ${length}] does not match ${raw.length} ids.`);
  if (length === 0) throw new Error("Token ids: the sequence is empty — give at least one token (e.g. a start token).");
  for (let i = 0; i < raw.length; i++) {
    const id = raw[i];
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
      const what = typeof id !== "number" || Number.isNaN(id) ? "is not a number" : !Number.isInteger(id) ? "is not a whole number" : `is outside the vocabulary [0, ${vocabSize})`;
      throw new Error(
        `Token id ${id} at position ${i % length} of sequence ${Math.floor(i / length)} ${what}. ` +
          `Token ids are whole numbers from the tokenizer; check that it matches the model (vocabSize ${vocabSize}).`,
      );
    }
  }
  return { ids: raw instanceof Int32Array ? raw : Int32Array.from(raw), batch, length };
}

// ---------------------------------------------------------------- embeddings

/** Above this many one-hot entries (N · V) the embedding uses gather instead. */
const ONE_HOT_LIMIT = 1 << 22;

function oneHotMatrix(ids: Int32Array, vocabSize: number, transposed: boolean, value = 1): tf.Tensor2D {
  const n = ids.length;
  const data = new Float32Array(n * vocabSize);
  for (let i = 0; i < n; i++) data[transposed ? ids[i] * n + i : i * vocabSize + ids[i]] = value;
  return tf.tensor2d(data, transposed ? [vocabSize, n] : [n, vocabSize]);
}

/**
 * Look up rows of the embedding table: ids (N) → scale · table[ids] (N, C).
 *
 * wasm has no gradient for tf.gather, so the lookup is written as a product
 * one-hot(ids) (N, V) @ table (V, C); its gradient is one-hot(ids)ᵀ @ dy — each
 * table row receives the sum of the gradients of the positions that used it.
 * (For big vocabularies it gathers and scatters the rows in JavaScript instead.)
 */
export function embedding(ids: Int32Array, table: tf.Tensor, scale = 1): tf.Tensor2D {
  const [vocabSize, dim] = table.shape as [number, number];
  const n = ids.length;
  const small = n * vocabSize <= ONE_HOT_LIMIT;
  const op = customOp(([w]) => ({
    value: small ? tf.matMul(oneHotMatrix(ids, vocabSize, false, scale), w as tf.Tensor2D) : tf.mul(tf.gather(w, tf.tensor1d(ids, "int32")), scale),
    gradFunc: (dy) => {
      if (small) return [tf.matMul(oneHotMatrix(ids, vocabSize, true, scale), dy as tf.Tensor2D)]; // (V, C)
      const g = dy.dataSync();
      const acc = new Float32Array(vocabSize * dim);
      for (let i = 0; i < n; i++) {
        const row = ids[i] * dim;
        for (let j = 0; j < dim; j++) acc[row + j] += scale * g[i * dim + j];
      }
      return [tf.tensor2d(acc, [vocabSize, dim])];
    },
  }));
  return op(table) as tf.Tensor2D;
}

const tiedOutputOp = customOp(([x, table], save) => {
  save([x, table]);
  return {
    value: tf.matMul(x as tf.Tensor2D, transpose2d(table)), // (N, C) @ (C, V) → (N, V)
    gradFunc: (dy, [sx, st]) => [
      tf.matMul(dy as tf.Tensor2D, st as tf.Tensor2D), // dx = dy @ table      (N, C)
      matMulTransposeA(dy, sx), //                        dtable = dyᵀ @ x      (V, C)
    ],
  };
});

/**
 * Logits from the token-embedding table itself ("tied" output layer, as in
 * GPT-2): x (N, C) @ tableᵀ (C, V) → (N, V).
 */
export function tiedOutput(x: tf.Tensor, table: tf.Tensor): tf.Tensor2D {
  return tiedOutputOp(x, table) as tf.Tensor2D;
}

// ---------------------------------------------------------------- loss

/**
 * Mean cross-entropy of logits (N, V) against target ids (N), in nats.
 * Targets < 0 are ignored (e.g. padding, or prompt tokens during fine-tuning).
 * Gradient: (softmax(logits) − onehot(target)) / (number of counted targets).
 */
export function crossEntropy(logits: tf.Tensor, targets: Int32Array | number[]): tf.Scalar {
  const [n, vocabSize] = logits.shape as [number, number];
  if (targets.length !== n) throw new Error(`crossEntropy: ${n} rows of logits but ${targets.length} targets: give one target id per row (flatten (B, T) to B·T).`);
  const onehot = new Float32Array(n * vocabSize);
  let counted = 0;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (t < 0) continue;
    if (!(t < vocabSize) || !Number.isInteger(t)) {
      throw new Error(`crossEntropy: target ${t} at row ${i} is outside the vocabulary [0, ${vocabSize}). Check that the tokenizer matches the model (vocabSize ${vocabSize}); use -1 for targets to ignore.`);
    }
    onehot[i * vocabSize + t] = 1;
    counted++;
  }
  if (counted === 0) throw new Error("crossEntropy: every target is ignored (< 0) — nothing to learn from in this batch.");
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) weights[i] = targets[i] < 0 ? 0 : 1 / counted;
  const op = customOp(([z], save) => {
    const y = tf.tensor2d(onehot, [n, vocabSize]);
    const w = tf.tensor2d(weights, [n, 1]);
    const m = tf.max(z, -1, true); // (N, 1)
    const e = tf.exp(tf.sub(z, m)); // (N, V)
    const s = tf.sum(e, -1, true); // (N, 1)
    const lse = tf.add(m, tf.log(s)); // (N, 1) log Σ exp z
    const picked = tf.sum(tf.mul(z, y), -1, true); // (N, 1) z[target]
    save([tf.div(e, s), y, w]);
    return {
      value: tf.sum(tf.mul(tf.sub(lse, picked), w)),
      gradFunc: (dy, [p, sy, sw]) => [tf.mul(tf.sub(p, sy), tf.mul(sw, dy))],
    };
  });
  return op(logits) as tf.Scalar;
}

/**
 * Per-sequence sum of log p(target) — the log-probability of each row's counted targets
 * (targets < 0 are skipped): logits (B·T, V), targets (B·T) → (B). Differentiable; its
 * gradient for row i is dy[b]·(onehot(target) − softmax(logits)), 0 on skipped rows.
 */
export function sequenceLogProbsFromLogits(logits: tf.Tensor, targets: Int32Array, batch: number): tf.Tensor1D {
  const [n, vocabSize] = logits.shape as [number, number];
  if (targets.length !== n) throw new Error(`sequenceLogProbs: ${n} rows of logits but ${targets.length} targets (flatten (B, T) to B·T).`);
  if (n % batch !== 0) throw new Error(`sequenceLogProbs: ${n} rows do not split into ${batch} sequences.`);
  const length = n / batch;
  const onehot = new Float32Array(n * vocabSize);
  const counted = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (t < 0) continue;
    if (!(t < vocabSize) || !Number.isInteger(t)) throw new Error(`sequenceLogProbs: target ${t} at row ${i} is outside the vocabulary [0, ${vocabSize}); use -1 for tokens that do not count.`);
    onehot[i * vocabSize + t] = 1;
    counted[i] = 1;
  }
  const op = customOp(([z], save) => {
    const y = tf.tensor2d(onehot, [n, vocabSize]);
    const w = tf.tensor2d(counted, [n, 1]);
    const m = tf.max(z, -1, true); // (N, 1)
    const e = tf.exp(tf.sub(z, m));
    const s = tf.sum(e, -1, true);
    const logp = tf.sub(tf.sum(tf.mul(z, y), -1, true), tf.add(m, tf.log(s))); // (N, 1) log p(target)
    save([tf.div(e, s), y, w]);
    return {
      value: tf.sum(tf.reshape(tf.mul(logp, w), [batch, length]), 1), // (B)
      gradFunc: (dy, [p, sy, sw]) => {
        const perRow = tf.reshape(tf.tile(tf.reshape(dy, [batch, 1]), [1, length]), [n, 1]); // dy of each row's sequence
        return [tf.mul(tf.sub(sy, p), tf.mul(sw, perRow))];
      },
    };
  });
  return op(logits) as tf.Tensor1D;
}
