// The element-wise passes of a training step on all threads: ReLU, its
// gradient in one pass, Adam's update in one pass, Add, Sub and Multiply of
// two tensors of one shape (a residual block's sum, gradients added), and
// the broadcast Add, Sub and Multiply and the Select of data augmentation (a
// per-image contrast or brightness, a random flip), which tfjs' wasm kernels
// run on one thread (and its broadcasting Add and Sub at a quarter of its
// plain speed).
//
// tfjs computes the ReLU gradient as dy * cast(step(x)) (three passes, two
// temporary tensors) and an Adam step as a dozen whole-tensor operations per
// weight (for the tutorial CNN's 4-million-weight dense kernel, most of the
// step's memory traffic). Here the ReLU gradient is replaced (through tfjs'
// gradient registry) by one kernel, and AdamOptimizer.applyGradients by one
// kernel per variable that reads the weights, both moments and the gradient
// once and writes the three new tensors, with tfjs' arithmetic in the same
// order so the results agree to float rounding. Mean's gradient, which tfjs
// computes by building a tensor of ones the size of the input, divides the
// output gradient first and broadcasts it (the same bits). All are undone
// by uninstall().

import * as tf from "@tensorflow/tfjs";
import type { KernelPool } from "./_kernel_pool.ts";
import {
  heap,
  type Info,
  type KernelArgs,
  type Original,
  pointer,
} from "./_heap.ts";
import { identity } from "./_layout.ts";

/** The custom kernel computing the ReLU gradient. */
export const RELU_GRAD = "FastReluGrad";
/** The custom kernel computing one Adam step of one variable. */
export const ADAM_STEP = "FastAdamStep";
/** Floats of Adam's parameter block (see `adam` in kernels/elementwise.c). */
const ADAM_PARAMS = 8;

/** Below this many elements the original kernels are fast enough. */
const MIN_ELEMENTS = 1 << 14;

/** The binary operations of broadcast_op, by tfjs kernel name. */
export const BROADCAST_OPS = { Add: 0, Sub: 1, Multiply: 2 } as const;

/**
 * Add, Sub or Multiply of float32 `a` `[n, ..., c]` and a `b` of the same
 * shape or with one value per image and/or per channel (`[n, 1, ..., 1, c]`,
 * `[n, 1, ..., 1]`, `[c]`, a scalar) on all threads, each element one
 * float32 operation as in tfjs; any other shapes go to the original kernel.
 */
export function broadcastBinary(
  pool: KernelPool,
  original: Original,
  args: KernelArgs,
  op: keyof typeof BROADCAST_OPS,
): Info {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  const rank = a.shape.length;
  const size = tf.util.sizeFromShape(a.shape);
  if (
    a.dtype === "float32" && b.dtype === "float32" && size >= MIN_ELEMENTS &&
    tf.util.arraysEqual(a.shape, b.shape)
  ) {
    const out = backend.makeOutput(a.shape, "float32");
    const at = [a, b, out].map((t) => pointer(backend, t));
    pool.runElements(
      "same_shape_op",
      size,
      (begin, end) => [at[0], at[1], at[2], BROADCAST_OPS[op], begin, end],
    );
    return out;
  }
  const bShape = [
    ...Array(Math.max(0, rank - b.shape.length)).fill(1),
    ...b.shape,
  ];
  const [n, c] = [a.shape[0], a.shape[rank - 1]];
  if (
    a.dtype !== "float32" || b.dtype !== "float32" || rank < 2 ||
    b.shape.length > rank || size < MIN_ELEMENTS ||
    bShape.slice(1, -1).some((d) => d !== 1) ||
    (bShape[0] !== 1 && bShape[0] !== n) ||
    (bShape[rank - 1] !== 1 && bShape[rank - 1] !== c)
  ) {
    return original(args) as Info;
  }
  const m = size / (n * c);
  const out = backend.makeOutput(a.shape, "float32");
  const aAt = pointer(backend, a);
  const bAt = pointer(backend, b);
  const outAt = pointer(backend, out);
  pool.run(
    "broadcast_op",
    n * m,
    (begin, end) => [
      aAt,
      bAt,
      outAt,
      BROADCAST_OPS[op],
      m,
      c,
      bShape[0] === n && n > 1 ? 1 : 0,
      bShape[rank - 1] === c && c > 1 ? 1 : 0,
      begin,
      end,
    ],
    pool.threads,
    true,
  );
  return out;
}

/** Select: condition ? t : e for float32 tensors of one shape, on all threads. */
export function select(
  pool: KernelPool,
  original: Original,
  args: KernelArgs,
): Info {
  const { inputs, backend } = args;
  const { condition, t, e } = inputs;
  const size = tf.util.sizeFromShape(t.shape);
  if (
    t.dtype !== "float32" || e.dtype !== "float32" ||
    condition.dtype !== "bool" || size < MIN_ELEMENTS ||
    !tf.util.arraysEqual(condition.shape, t.shape) ||
    !tf.util.arraysEqual(e.shape, t.shape)
  ) {
    return original(args) as Info;
  }
  const out = backend.makeOutput(t.shape, "float32");
  const at = [condition, t, e, out].map((x) => pointer(backend, x));
  pool.runElements("select_op", size, (begin, end) => [...at, begin, end]);
  return out;
}

/**
 * ClipByValue of a float32 tensor on all threads; else the original kernel.
 * (A NaN stays NaN, as in tfjs' kernels.)
 */
export function clipByValue(
  pool: KernelPool,
  original: Original,
  args: KernelArgs,
): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const n = tf.util.sizeFromShape(x.shape);
  if (x.dtype !== "float32" || n < MIN_ELEMENTS) {
    return original(args) as Info;
  }
  pool.reset(2);
  const bounds = pool.alloc(2); // kernel arguments are integers
  pool.f32[bounds / 4] = attrs.clipValueMin as number;
  pool.f32[bounds / 4 + 1] = attrs.clipValueMax as number;
  const out = backend.makeOutput(x.shape, "float32");
  const xAt = pointer(backend, x);
  const outAt = pointer(backend, out);
  pool.runElements("clip", n, (begin, end) => [xAt, outAt, bounds, begin, end]);
  return out;
}

/**
 * ColorMap (`colorMap` of lib/model/_augmentation_ops.ts): clip(((x - sub)
 * * mul) + add, low, high) of float32 images `[n, h, w, c]` in one pass on
 * all threads, with the bits of tfjs' four ops; sub and add `[n, 1, 1, c]`
 * or `[n, 1, 1, 1]`, mul `[n, 1, 1, 1]`, each optional.
 */
export function colorMap(pool: KernelPool, args: KernelArgs): Info {
  const { inputs, backend, attrs } = args;
  const { x, sub, mul, add } = inputs;
  const [n, h, w, c] = x.shape;
  pool.reset(2 + n * 3 * c);
  const bounds = pool.alloc(2); // kernel arguments are integers
  const coef = pool.alloc(n * 3 * c);
  const f32 = pool.f32;
  f32[bounds / 4] = attrs.low as number;
  f32[bounds / 4 + 1] = attrs.high as number;
  // Per image: sub, mul and add for each channel; 0, 1 and 0 when absent.
  const operands = [sub, mul, add].map((t) =>
    t == null ? null : heap(backend, t)
  );
  for (let b = 0; b < n; b++) {
    operands.forEach((values, k) => {
      for (let j = 0; j < c; j++) {
        f32[coef / 4 + (b * 3 + k) * c + j] = values == null
          ? (k === 1 ? 1 : 0)
          : values.length === n * c
          ? values[b * c + j]
          : values[b];
      }
    });
  }
  const out = backend.makeOutput(x.shape, "float32");
  const xAt = pointer(backend, x);
  const outAt = pointer(backend, out);
  pool.run(
    "color_map",
    n * h * w,
    (begin, end) => [xAt, coef, bounds, h * w, c, outAt, begin, end],
    n * h * w * c < MIN_ELEMENTS ? 1 : pool.threads,
    true,
  );
  return out;
}

/**
 * Data ids of ReLU outputs that a fused kernel wrote (a batch normalization
 * with the ReLU after it applied, see _batch_norm.ts), whose producer's
 * gradient applies ReLU's mask itself.
 */
const reluApplied = new WeakSet<object>();

/**
 * Marks `dataId` as a ReLU output whose producer's gradient applies ReLU's
 * mask: the ReLU after it then passes it through (max(r, 0) is r), and
 * ReLU's gradient there passes dy through (the producer masks it, and
 * masking twice would give the same numbers).
 */
export function markReluApplied(dataId: object): void {
  reluApplied.add(dataId);
}

/**
 * Relu: max(x, 0) on all threads (float32); an input that is already a ReLU
 * output (markReluApplied) is shared, not copied; else the original kernel.
 */
export function relu(
  pool: KernelPool,
  original: Original,
  args: KernelArgs,
): Info {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (x.dtype !== "float32") return original(args) as Info;
  if (reluApplied.has(x.dataId)) return identity(original, args);
  const n = tf.util.sizeFromShape(x.shape);
  const out = backend.makeOutput(x.shape, "float32");
  const xAt = pointer(backend, x);
  const outAt = pointer(backend, out);
  pool.runElements("relu", n, (begin, end) => [xAt, outAt, begin, end]);
  return out;
}

/**
 * FastReluGrad: dx = x > 0 ? dy : 0 in one pass; dy itself, shared, where x
 * is a fused ReLU output whose producer masks its gradient
 * (markReluApplied).
 */
export function reluGrad(pool: KernelPool, args: KernelArgs): Info {
  const { dy, x } = args.inputs;
  if (reluApplied.has(x.dataId)) {
    // Masking here too would give the same numbers, so it is the fallback.
    return identity(() => reluGradPass(pool, args), {
      ...args,
      inputs: { x: dy },
    });
  }
  return reluGradPass(pool, args);
}

export function reluGradPass(pool: KernelPool, args: KernelArgs): Info {
  const { inputs, backend } = args;
  const { dy, x } = inputs;
  const n = tf.util.sizeFromShape(x.shape);
  const out = backend.makeOutput(x.shape, "float32");
  const dyAt = pointer(backend, dy);
  const xAt = pointer(backend, x);
  const outAt = pointer(backend, out);
  pool.runElements(
    "relu_grad",
    n,
    (begin, end) => [dyAt, xAt, outAt, begin, end],
  );
  return out;
}

/**
 * FastAdamStep: inputs value, m, v, gradient; attrs beta1, beta2, epsilon,
 * learningRate and the bias corrections c1 = 1 - beta1^t, c2 = 1 - beta2^t.
 * Returns the new value, m and v.
 */
export function adamStep(pool: KernelPool, args: KernelArgs): Info[] {
  const { inputs, backend, attrs } = args;
  const { value, m, v, gradient } = inputs;
  const n = tf.util.sizeFromShape(value.shape);
  const beta1 = attrs.beta1 as number;
  const beta2 = attrs.beta2 as number;
  pool.reset(ADAM_PARAMS);
  const params = pool.alloc(ADAM_PARAMS);
  pool.f32.set(
    [
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      attrs.c1 as number,
      attrs.c2 as number,
      attrs.epsilon as number,
      -(attrs.learningRate as number),
    ],
    params / 4,
  );
  const outs = [value, m, v].map((t) => backend.makeOutput(t.shape, "float32"));
  const at = [value, m, v, gradient, ...outs].map((t) => pointer(backend, t));
  pool.runElements("adam", n, (begin, end) => [...at, params, begin, end]);
  return outs;
}

/** A gradient as optimizers receive it in list form. */
interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

type Gradients = tf.NamedTensorMap | NamedTensor[];

/** The fields of tfjs' AdamOptimizer the fused step reads and updates. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
  applyGradients(variableGradients: Gradients): void;
}

/**
 * AdamOptimizer.applyGradients with one FastAdamStep kernel per variable:
 * the same state (moments named `<var>/m` and `<var>/v`, accumulated beta
 * powers) and the same arithmetic as tfjs' own.
 */
function fusedApplyGradients(
  this: AdamInternals,
  variableGradients: Gradients,
): void {
  const names = Array.isArray(variableGradients)
    ? variableGradients.map((v) => v.name)
    : Object.keys(variableGradients);
  // Bias corrections as tfjs computes them: 1 - accBeta in float32.
  const c1 = Math.fround(1 - this.accBeta1.dataSync()[0]);
  const c2 = Math.fround(1 - this.accBeta2.dataSync()[0]);
  tf.tidy(() => {
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      if (this.accumulatedFirstMoment[i] == null) {
        this.accumulatedFirstMoment[i] = {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
      }
      if (this.accumulatedSecondMoment[i] == null) {
        this.accumulatedSecondMoment[i] = {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
      }
      const gradient = Array.isArray(variableGradients)
        ? variableGradients[i].tensor
        : variableGradients[name];
      if (gradient == null) return;
      const m = this.accumulatedFirstMoment[i].variable;
      const v = this.accumulatedSecondMoment[i].variable;
      const [newValue, newM, newV] = tf.engine().runKernel(
        ADAM_STEP,
        { value, m, v, gradient },
        {
          beta1: this.beta1,
          beta2: this.beta2,
          epsilon: this.epsilon,
          learningRate: this.learningRate,
          c1,
          c2,
        },
      ) as tf.Tensor[];
      m.assign(newM);
      v.assign(newV);
      value.assign(newValue);
    });
    this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
    this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
  });
  this.incrementIterations();
}

/** Whether the fused paths can run: wasm backend active and every tensor float32. */
function fusedReady(kernelName: string, tensors: Info[]): boolean {
  return tf.getBackend() === "wasm" &&
    tf.getKernel(kernelName, "wasm") != null &&
    tensors.every((t) => t.dtype === "float32");
}

/**
 * Mean's gradient, the same values as tfjs' own with less work: tfjs
 * computes div(mul(reshape(dy), ones(x.shape)), n), building a tensor of
 * ones the size of x in JavaScript at every step (global average pooling's
 * 32x8x8x128: ~0.7 ms); here dy is divided by n first, on its few elements,
 * then broadcast. Each element is the same correctly rounded float32
 * division, so the bits are the same.
 */
function meanGradFunc(
  dy: tf.Tensor | tf.Tensor[],
  saved: tf.Tensor[],
  attrs: tf.NamedAttrMap,
): Record<string, () => tf.Tensor> {
  const [x] = saved;
  const axes = tf.util.parseAxisParam(attrs.axis as number[], x.shape);
  const kept = x.shape.map((size, i) => axes.includes(i) ? 1 : size);
  const count = axes.reduce((n, axis) => n * x.shape[axis], 1);
  return {
    x: () =>
      tf.broadcastTo(tf.div(tf.reshape(dy as tf.Tensor, kept), count), x.shape),
  };
}

/**
 * Installs the ReLU and Mean gradients and the fused Adam step (the fused
 * ones fall back to tfjs' own code when the wasm backend is not active);
 * returns the function that restores tfjs' originals.
 */
export function installFusedTraining(): () => void {
  const meanGradient = tf.getGradient(tf.Mean);
  if (meanGradient != null) {
    tf.registerGradient({
      kernelName: tf.Mean,
      inputsToSave: ["x"],
      gradFunc: meanGradFunc,
    });
  }
  const reluGradient = tf.getGradient(tf.Relu);
  if (reluGradient != null) {
    tf.registerGradient({
      kernelName: tf.Relu,
      inputsToSave: ["x"],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const d = dy as tf.Tensor;
        if (!fusedReady(RELU_GRAD, [d, x])) {
          return reluGradient.gradFunc(dy, saved, attrs);
        }
        return {
          x: () =>
            tf.engine().runKernel(RELU_GRAD, { dy: d, x }, {}) as tf.Tensor,
        };
      },
    });
  }
  const proto = tf.AdamOptimizer.prototype as unknown as AdamInternals;
  const applyGradients = proto.applyGradients;
  proto.applyGradients = function (
    this: AdamInternals,
    variableGradients: Gradients,
  ) {
    const grads = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.tensor)
      : Object.values(variableGradients);
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const values = names.map((n) => tf.engine().registeredVariables[n]);
    if (!fusedReady(ADAM_STEP, [...grads, ...values])) {
      return applyGradients.call(this, variableGradients);
    }
    return fusedApplyGradients.call(this, variableGradients);
  };
  return () => {
    if (meanGradient != null) tf.registerGradient(meanGradient);
    if (reluGradient != null) tf.registerGradient(reluGradient);
    proto.applyGradients = applyGradients;
  };
}
