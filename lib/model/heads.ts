/** Splitting the features into heads and gluing them back together. */
import * as tf from "@tensorflow/tfjs";

/** (B·T, C) → (B, H, T, C/H): each head's slice of the features as its own sequence. */
export function splitHeads(x: tf.Tensor, batch: number, length: number, heads: number): tf.Tensor4D {
  const c = x.shape[x.rank - 1];
  return tf.transpose(tf.reshape(x, [batch, length, heads, c / heads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** (B, H, T, d) → (B·T, H·d): heads side by side again. */
export function mergeHeads(x: tf.Tensor): tf.Tensor2D {
  const [b, h, t, d] = x.shape as [number, number, number, number];
  return tf.transpose(x, [0, 2, 1, 3]).reshape([b * t, h * d]);
}

