/**
 * The handful of low-level tricks that make tfjs fast on the wasm backend.
 *
 * Measured on the course machines (tfjs 4.22, wasm + SIMD, shapes of the
 * bench-small model):
 *   - `tf.matMul(a, b)` on 2-D tensors runs at ~20–30 GFLOP/s, but with
 *     `transposeA`/`transposeB` it is 12–17× slower — and tfjs's built-in matMul
 *     gradient uses those flags. `matMul2d` below has a gradient that transposes
 *     explicitly instead.
 *   - A 2-D transpose of a tall matrix (1024 × 128) takes ~1 ms; the same data
 *     moved as a 3-D transpose takes ~0.2 ms. `transpose2d` does that.
 *   - matMul(a, b) prepares ("packs") its right operand b for XNNPACK on every
 *     call with a new b: ~10–25 ns per element of b — more than the compute
 *     for tall, thin products such as weight gradients (b with 1024 rows).
 *     So gradients are arranged so that b is the *smaller* operand, and the
 *     other one is transposed instead (~2 ns per element with transpose2d).
 *   - Summing over rows (`tf.sum(x, 0)`) of a (1024, 512) matrix takes ~4 ms;
 *     transposing first and summing along rows takes ~1.7 ms. `columnSum` does that.
 *   - The wasm `Slice` kernel copies its *whole input* before taking the slice,
 *     so cutting a tensor into 64 per-head pieces costs 64 full copies (and
 *     `SplitV` does the same per piece). `installFastKernels()` replaces both
 *     with kernels that copy only the pieces.
 *   - The wasm `Identity` kernel (tf.clone) copies its input, and tfjs clones
 *     every tensor a gradient keeps for the backward pass (customGrad's `save`,
 *     and the saved inputs and outputs of built-in ops): ~60 copies per
 *     bench-small step. `installFastKernels()` makes it share the data instead,
 *     as tfjs's cpu backend does (tensors are never written in place).
 *
 * A trap, also measured: the wasm matMul caches its prepared (packed) right-hand
 * operand `b` under b's *data id only*, not its shape, and `tf.reshape` keeps the
 * data id. So never use a tensor as matMul's `b` under one shape and a reshape of
 * it as `b` under another shape: the second matMul reuses the first one's setup
 * (an abort, or wrong numbers). A copy such as `tf.add(b, 0)` gives a fresh id when that is
 * needed (`tf.clone` shares the id once installFastKernels has run).
 *
 * Everything here computes exactly what the plain tfjs op computes; only the
 * speed differs.
 */
import * as tf from "@tensorflow/tfjs";

let fastKernelsInstalled = false;
const originalKernels = new Map<string, tf.KernelFunc>();

/** The kernel function tfjs shipped for `name` on wasm, before installFastKernels replaced it (for benchmarks). */
export function originalWasmKernel(name: "Slice" | "SplitV" | "Identity"): tf.KernelFunc | undefined {
  return originalKernels.get(name);
}

/** The part of x that a contiguous slice selects, copied into a new output (wasm heap to wasm heap). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function copyContiguous(backend: any, x: tf.TensorInfo, offset: number, shape: number[]): tf.TensorInfo {
  const out = backend.makeOutput(shape, x.dtype); // allocate first: it may grow (and move) the heap
  const n = tf.util.sizeFromShape(shape);
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  (backend.typedArrayFromHeap(out) as Float32Array).set(src.subarray(offset, offset + n));
  return out;
}

/**
 * Make `tf.slice` and `tf.split` on the wasm backend copy only the requested
 * parts (tfjs 4.22's wasm Slice first copies the whole input tensor out of the
 * wasm heap, and SplitV does that once per piece): contiguous pieces become one
 * `TypedArray.set` each; other cases fall back to the original kernels. And make
 * `Identity` (tf.clone, and the tensors gradients keep) share its input's data
 * instead of copying it. Safe to call many times; a no-op on other backends.
 */
export function installFastKernels(): void {
  if (fastKernelsInstalled || tf.getBackend() !== "wasm") return;
  const slice = tf.getKernel("Slice", "wasm");
  const split = tf.getKernel("SplitV", "wasm");
  const identity = tf.getKernel("Identity", "wasm");
  if (!slice || !split || !identity) return;
  const sliceFallback = slice.kernelFunc;
  const splitFallback = split.kernelFunc;
  originalKernels.set("Slice", sliceFallback);
  originalKernels.set("SplitV", splitFallback);
  originalKernels.set("Identity", identity.kernelFunc);
  tf.unregisterKernel("Slice", "wasm");
  tf.registerKernel({
    kernelName: "Slice",
    backendName: "wasm",
    kernelFunc: (args) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const { inputs, attrs, backend } = args as any;
      const x = inputs.x as tf.TensorInfo;
      const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
      if (x.dtype === "string" || !tf.slice_util.isSliceContinous(x.shape, begin, size)) return sliceFallback(args);
      return copyContiguous(backend, x, tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape)), size);
    },
  });
  tf.unregisterKernel("SplitV", "wasm");
  tf.registerKernel({
    kernelName: "SplitV",
    backendName: "wasm",
    kernelFunc: (args) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const { inputs, attrs, backend } = args as any;
      const x = inputs.x as tf.TensorInfo;
      const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
      // Pieces along an axis are contiguous when every axis before it has size 1.
      if (x.dtype === "string" || x.shape.slice(0, axis).some((d) => d !== 1)) return splitFallback(args);
      const sizes: number[] = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
      const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
      let offset = 0;
      return sizes.map((s) => {
        const shape = x.shape.slice();
        shape[axis] = s;
        const out = copyContiguous(backend, x, offset, shape);
        offset += s * inner;
        return out;
      });
    },
  });
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    kernelName: "Identity",
    backendName: "wasm",
    kernelFunc: (args) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const { inputs, backend } = args as any;
      const x = inputs.x as tf.TensorInfo;
      backend.incRef(x.dataId); // one more tensor on the same data: freed when the last one is disposed
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
  fastKernelsInstalled = true;
}

/** Transpose a matrix (N, M) → (M, N); tall matrices go through a faster 3-D transpose. */
export function transpose2d(x: tf.Tensor): tf.Tensor2D {
  const [n, m] = x.shape as [number, number];
  if (n > m && n % 2 === 0 && n >= 256) {
    // (2, N/2, M) → (M, 2, N/2) is the same data movement as (N, M) → (M, N).
    return tf.transpose(tf.reshape(x, [2, n / 2, m]), [2, 0, 1]).reshape([m, n]);
  }
  return tf.transpose(x) as tf.Tensor2D;
}

/** Sum over the rows of x (N, M) → (M). (No matMul here, so reshaped inputs are safe — see the trap above.) */
export function columnSum(x: tf.Tensor): tf.Tensor1D {
  const n = x.shape[0] as number;
  return (n >= 256 ? tf.sum(transpose2d(x), 1) : tf.sum(x, 0)) as tf.Tensor1D;
}

/**
 * aᵀ @ b for a (N, K) and b (N, M) → (K, M) — the shape of every weight
 * gradient. One of the two must be transposed and the other is packed by the
 * matMul; packing costs more per element, so the operand with fewer columns is
 * the one packed.
 */
export function matMulTransposeA(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const k = a.shape[1] as number;
  const m = b.shape[1] as number;
  if (k >= m) return tf.matMul(transpose2d(a), b as tf.Tensor2D); // packs b (N, M)
  return transpose2d(tf.matMul(transpose2d(b), a as tf.Tensor2D)); // (bᵀ a)ᵀ = aᵀ b, packs a (N, K)
}

/** What a hand-written gradient op's forward returns (see `customOp`). */
export interface CustomOpResult {
  value: tf.Tensor;
  /** Gradients of the loss for each input, in order, given dLoss/dValue. */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

/**
 * `tf.customGrad` with plain types: `forward(inputs, save)` computes the value,
 * calls `save([...])` with the tensors its gradient needs, and returns
 * `{ value, gradFunc }`. Only the op itself is recorded for autograd, not the
 * ops inside it.
 */
export function customOp(forward: (inputs: tf.Tensor[], save: (tensors: tf.Tensor[]) => void) => CustomOpResult): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    return forward(args as tf.Tensor[], save);
  });
  const noSave = () => undefined;
  return (...inputs: tf.Tensor[]) =>
    // Outside tf.grad (evaluation, generation) no gradient is needed: skip customGrad's bookkeeping.
    tf.engine().isTapeOn() ? op(...inputs) : tf.tidy(() => forward(inputs, noSave).value);
}

const matMul2dOp = customOp(([a, b], save) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, [sa, sb]) => [tf.matMul(dy as tf.Tensor2D, transpose2d(sb)), matMulTransposeA(sa, dy)],
  };
});

/**
 * a @ b for 2-D tensors, with a gradient that never uses transposed matMul:
 *   da = dy @ b^T,   db = a^T @ dy.
 */
export function matMul2d(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return matMul2dOp(a, b) as tf.Tensor2D;
}
