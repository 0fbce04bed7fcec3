/**
 * Positional encodings: attention itself ignores order, so each token's vector
 * gets its position added in.
 *
 *   - learned (GPT-2): a trainable table `wpe` with one row per position;
 *   - sinusoidal (the 2017 Transformer): a fixed table,
 *       PE[pos, 2i]   = sin(pos / 10000^(2i/d))
 *       PE[pos, 2i+1] = cos(pos / 10000^(2i/d)),
 *     so every position gets a unique pattern of waves, from fast to slow.
 */
import * as tf from "@tensorflow/tfjs";
import { columnSum, customOp } from "./fastOps";

/** The sinusoidal table for positions [start, start + length) as a flat (length, dModel) array. */
export function sinusoidalTable(length: number, dModel: number, start = 0): Float32Array {
  if (dModel % 2 !== 0) throw new Error(`Sinusoidal positions need an even dModel, got ${dModel}.`);
  const out = new Float32Array(length * dModel);
  for (let p = 0; p < length; p++) {
    const pos = start + p;
    for (let i = 0; i < dModel / 2; i++) {
      const angle = pos / Math.pow(10000, (2 * i) / dModel);
      out[p * dModel + 2 * i] = Math.sin(angle);
      out[p * dModel + 2 * i + 1] = Math.cos(angle);
    }
  }
  return out;
}

/** The sinusoidal table as a (length, dModel) tensor (e.g. for a heatmap). */
export function sinusoidalPositions(length: number, dModel: number): tf.Tensor2D {
  return tf.tensor2d(sinusoidalTable(length, dModel), [length, dModel]);
}

/** x (B·T, C) + the sinusoidal rows of positions [start, start + T), broadcast over the batch. */
export function addSinusoidalPositions(x: tf.Tensor, batch: number, length: number, start = 0): tf.Tensor2D {
  const dim = x.shape[1] as number;
  const op = customOp(([xx]) => ({
    value: tf.add(tf.reshape(xx, [batch, length, dim]), tf.tensor2d(sinusoidalTable(length, dim, start), [length, dim])).reshape([batch * length, dim]),
    gradFunc: (dy) => [dy], // the table is constant
  }));
  return op(x) as tf.Tensor2D;
}

/**
 * x (B·T, C) + rows [start, start + T) of a learned table (positions, C),
 * broadcast over the batch. The table's gradient is the batch-sum of dy,
 * placed at those rows.
 */
export function addLearnedPositions(x: tf.Tensor, table: tf.Tensor, batch: number, length: number, start = 0): tf.Tensor2D {
  const [rows, dim] = table.shape as [number, number];
  if (start + length > rows) {
    throw new Error(`A sequence reaching position ${start + length} is longer than the model's context (${rows} positions). Crop the input to the last ${rows} tokens.`);
  }
  const op = customOp(([xx, w]) => {
    const pos = tf.slice(w, [start, 0], [length, dim]); // (T, C)
    return {
      value: tf.add(tf.reshape(xx, [batch, length, dim]), pos).reshape([batch * length, dim]),
      gradFunc: (dy) => {
        const summed = columnSum(tf.reshape(dy, [batch, length * dim])).reshape([length, dim]); // (T, C)
        const parts: tf.Tensor[] = [];
        if (start > 0) parts.push(tf.zeros([start, dim]));
        parts.push(summed);
        if (rows - start - length > 0) parts.push(tf.zeros([rows - start - length, dim]));
        return [dy, parts.length === 1 ? summed : tf.concat(parts, 0)];
      },
    };
  });
  return op(x, table) as tf.Tensor2D;
}
