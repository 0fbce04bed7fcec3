/**
 * Every hand-written gradient (tf.customGrad) against
 *   (1) central finite differences of the op itself, and
 *   (2) tfjs's automatic gradient of a plain reference implementation.
 * float32: finite differences use eps 1e-2 on inputs of magnitude ~1 and a
 * relative tolerance of a few percent; the reference comparison is tight.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { GPT, MASKED, causalMask, crossEntropy, embedding, gelu, layerNorm, linear, matMul2d, mergeHeads, scaledDotProductAttention, sinusoidalTable, splitHeads, tiedOutput } from "../lib/model";
import { fastCrossAttention, fastSelfAttention } from "../lib/model/fastAttention";
import { columnSum, installFastKernels, matMulTransposeA, transpose2d } from "../lib/model/fastOps";
import { addLearnedPositions, addSinusoidalPositions } from "../lib/model/positional";
import { Rng } from "../lib/random";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const rand = (shape: number[], seed: number, scale = 1) => {
  const r = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => r.normal(0, scale)), shape);
};

/** L(inputs) = Σ f(inputs) ⊙ R for a fixed random R: a scalar whose gradient exercises every output. */
function projected(f: (xs: tf.Tensor[]) => tf.Tensor, outShape: number[], seed = 99) {
  const R = rand(outShape, seed);
  return (xs: tf.Tensor[]) => tf.sum(tf.mul(f(xs), R)) as tf.Scalar;
}

/** Analytic gradients of L with respect to every input. */
function analytic(L: (xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const g = tf.grads((...xs: tf.Tensor[]) => L(xs))(inputs);
    return g.map((t) => t.dataSync() as Float32Array).map((a) => Float32Array.from(a));
  });
}

/** Central finite differences at a few coordinates of each input. */
function checkFiniteDifferences(L: (xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], opts: { coords?: number; eps?: number; skip?: number[] } = {}) {
  const eps = opts.eps ?? 1e-2;
  const grads = analytic(L, inputs);
  const r = new Rng(7);
  const values = inputs.map((t) => Float32Array.from(t.dataSync() as Float32Array));
  const evalAt = (which: number, index: number, delta: number) =>
    tf.tidy(() => {
      const v = values[which].slice();
      v[index] += delta;
      const xs = inputs.map((t, i) => (i === which ? tf.tensor(v, t.shape) : t));
      return L(xs).dataSync()[0];
    });
  inputs.forEach((t, which) => {
    if (opts.skip?.includes(which)) return;
    const scale = Math.max(...grads[which].map(Math.abs), 1e-3);
    for (let c = 0; c < (opts.coords ?? 6); c++) {
      const index = r.int(t.size);
      const fd = (evalAt(which, index, eps) - evalAt(which, index, -eps)) / (2 * eps);
      const an = grads[which][index];
      expect(Math.abs(fd - an), `input ${which} [${index}]: finite difference ${fd}, analytic ${an}`).toBeLessThanOrEqual(0.03 * Math.abs(an) + 0.005 * scale);
    }
  });
}

/** The op's gradient against the automatic gradient of a reference implementation. */
function checkAgainstReference(L: (xs: tf.Tensor[]) => tf.Scalar, Lref: (xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], tol = 1e-4) {
  const a = analytic(L, inputs);
  const b = analytic(Lref, inputs);
  expect(tf.tidy(() => Math.abs(L(inputs).dataSync()[0] - Lref(inputs).dataSync()[0]))).toBeLessThan(tol * 10);
  a.forEach((g, i) => {
    const scale = Math.max(...b[i].map(Math.abs), 1e-6);
    let worst = 0;
    for (let j = 0; j < g.length; j++) worst = Math.max(worst, Math.abs(g[j] - b[i][j]));
    expect(worst / scale, `input ${i}: max |Δgrad| ${worst} vs scale ${scale}`).toBeLessThan(tol);
  });
}

describe("fast helpers", () => {
  it.each([[3, 5], [256, 3], [258, 7], [300, 4], [1024, 65], [4, 300]])("transpose2d of (%i, %i) equals tf.transpose", (n, m) => {
    tf.tidy(() => {
      const x = rand([n, m], n * m);
      expect(transpose2d(x).arraySync()).toEqual(tf.transpose(x).arraySync());
    });
  });
  it.each([[5, 3], [300, 7], [16, 40]])("columnSum and matMulTransposeA of (%i, %i)", (n, m) => {
    tf.tidy(() => {
      const a = rand([n, m], 1);
      const b = rand([n, m + 2], 2);
      const c = rand([n, m - 2], 3);
      expect(tf.max(tf.abs(tf.sub(columnSum(a), tf.sum(a, 0)))).dataSync()[0]).toBeLessThan(1e-4);
      for (const other of [b, c]) {
        const ref = tf.matMul(a, other, true, false);
        expect(tf.max(tf.abs(tf.sub(matMulTransposeA(a, other), ref))).dataSync()[0]).toBeLessThan(1e-4);
      }
    });
  });
});

describe("fast kernels", () => {
  it("tf.clone (and so every tensor a gradient keeps) shares its input's data; each stays readable until its own dispose", () => {
    installFastKernels();
    const buffers = tf.memory().numDataBuffers;
    const x = rand([64, 32], 5);
    const values = Array.from(x.dataSync());
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(buffers + 1); // no copy
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(values);
    const z = tf.add(y, 1);
    expect(Array.from(z.dataSync())).toEqual(values.map((v) => Math.fround(v + 1)));
    tf.dispose([y, z]);
    expect(tf.memory().numDataBuffers).toBe(buffers);
  });
});

describe("hand-written gradients", () => {
  it.each([[7, 5, 3], [6, 4, 9], [300, 6, 4]])("linear x (%i, %i) @ W (…, %i) + b", (n, i, o) => {
    const inputs = [rand([n, i], 1), rand([i, o], 2), rand([o], 3)];
    const L = projected(([x, w, b]) => linear(x, w, b), [n, o]);
    const Lref = projected(([x, w, b]) => tf.add(tf.matMul(x, w), b), [n, o]);
    checkFiniteDifferences(L, inputs);
    checkAgainstReference(L, Lref, inputs);
    const L2 = projected(([x, w]) => linear(x, w), [n, o]);
    checkAgainstReference(L2, projected(([x, w]) => tf.matMul(x, w), [n, o]), inputs.slice(0, 2));
    tf.dispose(inputs);
  });

  it("matMul2d", () => {
    const inputs = [rand([5, 4], 1), rand([4, 6], 2)];
    const L = projected(([a, b]) => matMul2d(a, b), [5, 6]);
    checkFiniteDifferences(L, inputs);
    checkAgainstReference(L, projected(([a, b]) => tf.matMul(a, b), [5, 6]), inputs);
    tf.dispose(inputs);
  });

  it.each([true, false])("layerNorm (bias: %s)", (withBias) => {
    const inputs = [rand([6, 8], 1, 2), tf.add(rand([8], 2, 0.3), 1), rand([8], 3)];
    const used = withBias ? inputs : inputs.slice(0, 2);
    const L = projected(([x, g, b]) => layerNorm(x, g, b ?? null, 1e-5), [6, 8]);
    const Lref = projected(([x, g, b]) => {
      const { mean, variance } = tf.moments(x, -1, true);
      const y = tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g);
      return b ? tf.add(y, b) : y;
    }, [6, 8]);
    checkFiniteDifferences(L, used);
    checkAgainstReference(L, Lref, used);
    tf.dispose(inputs);
  });

  it("gelu equals GPT-2's tanh formula, with its gradient", () => {
    const inputs = [rand([5, 7], 1, 2)];
    const ref = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));
    const L = projected(([x]) => gelu(x), [5, 7]);
    checkFiniteDifferences(L, inputs);
    checkAgainstReference(L, projected(([x]) => ref(x), [5, 7]), inputs);
    tf.dispose(inputs);
  });

  it.each([[5, 6, 1], [3000, 1500, 2]])("embedding lookup (vocab %i, %i tokens, scale %i)", (vocab, n, scale) => {
    const r = new Rng(4);
    const ids = Int32Array.from({ length: n }, () => r.int(vocab));
    ids[1] = ids[0]; // a repeated token: its row's gradient is a sum
    const inputs = [rand([vocab, 4], 1)];
    const L = projected(([w]) => embedding(ids, w, scale), [n, 4]);
    const Lref = projected(([w]) => tf.mul(tf.matMul(tf.oneHot(tf.tensor1d(ids, "int32"), vocab), w), scale), [n, 4]);
    checkAgainstReference(L, Lref, inputs);
    if (n < 100) checkFiniteDifferences(L, inputs);
    tf.dispose(inputs);
  });

  it("tied output layer x @ wteᵀ", () => {
    const inputs = [rand([6, 4], 1), rand([9, 4], 2)];
    const L = projected(([x, w]) => tiedOutput(x, w), [6, 9]);
    checkFiniteDifferences(L, inputs);
    checkAgainstReference(L, projected(([x, w]) => tf.matMul(x, tf.transpose(w)), [6, 9]), inputs);
    tf.dispose(inputs);
  });

  it.each([0, 2])("learned positions (start %i)", (start) => {
    const B = 2;
    const T = 3;
    const inputs = [rand([B * T, 4], 1), rand([7, 4], 2)];
    const L = projected(([x, w]) => addLearnedPositions(x, w, B, T, start), [B * T, 4]);
    const Lref = projected(([x, w]) => tf.add(tf.reshape(x, [B, T, 4]), tf.slice(w, [start, 0], [T, 4])).reshape([B * T, 4]), [B * T, 4]);
    checkFiniteDifferences(L, inputs);
    checkAgainstReference(L, Lref, inputs);
    tf.dispose(inputs);
  });

  it("sinusoidal positions follow the formula and pass gradients through", () => {
    const table = sinusoidalTable(5, 6, 0);
    expect(table[1 * 6 + 0]).toBeCloseTo(Math.sin(1), 6);
    expect(table[3 * 6 + 3]).toBeCloseTo(Math.cos(3 / Math.pow(10000, 2 / 6)), 6);
    expect(sinusoidalTable(2, 6, 3)).toEqual(table.slice(18, 30));
    const inputs = [rand([2 * 5, 6], 1)];
    checkFiniteDifferences(projected(([x]) => addSinusoidalPositions(x, 2, 5), [10, 6]), inputs);
    tf.dispose(inputs);
  });

  it("cross-entropy (with an ignored target)", () => {
    const targets = [2, 0, -1, 4];
    const inputs = [rand([4, 5], 1, 2)];
    const L = ([z]: tf.Tensor[]) => crossEntropy(z, targets);
    const Lref = ([z]: tf.Tensor[]) => {
      const lp = tf.logSoftmax(z);
      const picked = tf.sum(tf.mul(lp, tf.oneHot(tf.tensor1d([2, 0, 0, 4], "int32"), 5)), -1);
      return tf.div(tf.neg(tf.sum(tf.mul(picked, tf.tensor1d([1, 1, 0, 1])))), 3) as tf.Scalar;
    };
    checkFiniteDifferences(L, inputs);
    checkAgainstReference(L, Lref, inputs);
    expect(() => crossEntropy(inputs[0], [9, 0, 0, 0])).toThrow(/target 9 at row 0 is outside the vocabulary/);
    tf.dispose(inputs);
  });
});

describe("fast attention = the textbook formula", () => {
  const B = 2;
  const T = 5;
  const H = 2;
  const C = 6;
  const referenceSelf = (qkv: tf.Tensor, mask: tf.Tensor | null) => {
    const [q, k, v] = tf.split(qkv, 3, 1).map((t) => splitHeads(t, B, T, H));
    return mergeHeads(scaledDotProductAttention(q, k, v, mask).output);
  };

  it.each([
    ["causal", { causal: true }],
    ["bidirectional", {}],
    ["causal + padding", { causal: true, keyMask: [1, 1, 1, 1, 0, 1, 1, 0, 0, 1] }],
  ])("self-attention (%s): outputs and gradients", (_, mask) => {
    const inputs = [rand([B * T, 3 * C], 1)];
    const m = (mask as { keyMask?: number[] }).keyMask
      ? tf.tidy(() => {
          const km = tf.tensor((mask as { keyMask: number[] }).keyMask, [B, 1, 1, T]);
          return (mask as { causal?: boolean }).causal ? tf.mul(km, causalMask(T)) : km;
        })
      : (mask as { causal?: boolean }).causal
        ? causalMask(T)
        : null;
    const L = projected(([x]) => fastSelfAttention(x, B, T, H, mask), [B * T, C]);
    const Lref = projected(([x]) => referenceSelf(x, m), [B * T, C]);
    checkAgainstReference(L, Lref, inputs, 1e-4);
    checkFiniteDifferences(L, inputs, { coords: 10 });
    tf.dispose([...inputs, ...(m ? [m] : [])]);
  });

  it("cross-attention: outputs and gradients", () => {
    const S = 4;
    const inputs = [rand([B * T, C], 1), rand([B * S, 2 * C], 2)];
    const L = projected(([q, kv]) => fastCrossAttention(q, kv, B, T, S, H), [B * T, C]);
    const Lref = projected(([q, kv]) => {
      const [k, v] = tf.split(kv, 2, 1).map((t) => splitHeads(t, B, S, H));
      return mergeHeads(scaledDotProductAttention(splitHeads(q, B, T, H), k, v).output);
    }, [B * T, C]);
    checkAgainstReference(L, Lref, inputs, 1e-4);
    checkFiniteDifferences(L, inputs, { coords: 8 });
    tf.dispose(inputs);
  });
});

describe("a whole tiny GPT", () => {
  it.each([
    [{}],
    [{ tieEmbeddings: false, norm: "post", activation: "relu", bias: false, positional: "sinusoidal" }],
  ])("gradients of every weight match finite differences and the reference attention (%j)", (extra) => {
    const model = new GPT({ vocabSize: 7, contextLength: 6, dModel: 8, nHeads: 2, nLayers: 2, ...(extra as object) }, { seed: 3 });
    const ids = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 0]];
    const targets = [[2, 3, 4, 5, 6, 0], [5, 4, 3, 2, 0, 1]];
    const vars = model.params.variables();
    const grads = (attention: "fast" | "reference") =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => model.loss(ids, targets, { attention }), vars);
        return vars.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array));
      });
    const fast = grads("fast");
    const ref = grads("reference");
    fast.forEach((g, i) => {
      for (let j = 0; j < g.length; j++) expect(Math.abs(g[j] - ref[i][j])).toBeLessThan(1e-5);
    });
    // Finite differences on two coordinates of every weight (float32 round-off ≈ 1e-7·loss / eps ≈ 1e-4).
    const r = new Rng(5);
    const lossAt = () => tf.tidy(() => model.loss(ids, targets).dataSync()[0]);
    vars.forEach((v, i) => {
      const original = Float32Array.from(v.dataSync() as Float32Array);
      const scale = Math.max(...fast[i].map(Math.abs), 1e-3);
      for (let c = 0; c < 2; c++) {
        const index = r.int(v.size);
        const eps = 2e-3; // the loss curves strongly in some weights of so tiny a model: a small step
        const at = (delta: number) => {
          const changed = original.slice();
          changed[index] += delta;
          tf.tidy(() => v.assign(tf.tensor(changed, v.shape)));
          return lossAt();
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
        expect(Math.abs(fd - fast[i][index]), `${model.params.nameOf(v)}[${index}]: fd ${fd}, analytic ${fast[i][index]}`).toBeLessThanOrEqual(0.03 * Math.abs(fast[i][index]) + 0.01 * scale + 1e-4);
      }
    });
    model.dispose();
  });

  it("masks with MASKED so that weights are exactly zero", () => {
    expect(Math.exp(MASKED)).toBe(0);
  });
});
