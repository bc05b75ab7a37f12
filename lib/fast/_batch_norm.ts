// A training-time BatchNormalization layer on four threaded passes.
//
// In training, tfjs-layers' BatchNormalization computes the batch's moments
// with generic ops (a Mean over the pixel axes, which the wasm backend runs
// by transposing the whole tensor first, a subtraction, a square and a second
// Mean) and normalizes with FusedBatchNorm; its gradient is a dozen more
// whole-tensor ops. At batch 32 on 128x128 images that cost nearly as much
// as all the convolutions. Here the layer's training call (4D NHWC input,
// channel axis last, with gamma and beta) runs two kernels wrapped in a
// custom gradient:
//
// - forward: one reduction pass (per-channel sums of x - shift and of its
//   square, the shift being the first pixel so that the variance does not
//   cancel; the pixels cut into parts fixed by the shape, each part summed
//   into its own partial sums, added in float64 in part order), then
//   one pass writing
//   y = (x - mean) * gamma / sqrt(var + epsilon) + beta;
// - backward: one reduction pass (sum dy and sum dy * (x - mean) per
//   channel, which give dbeta and dgamma), then one pass for dx, the
//   gradient through the normalization and through the batch's mean and
//   variance.
//
// While a model's fit() or fitDataset() runs (trainModel uses the latter),
// a batch norm of that model that is no model output and whose output only
// plain ReLU layers take (as after a residual block's first convolution, or
// the stem's), with channels that fill whole SIMD registers, writes the
// ReLU in the same pass, y = max(..., 0), and marks it (markReluApplied):
// the ReLU layer then shares it instead of copying, its gradient passes dy
// through, and the two backward passes read dy through ReLU's mask, y > 0,
// with y recomputed from x as the forward pass computed it (so y is not
// read again). One whole-tensor pass fewer each way, and the same bits: the
// same operations on every element. A direct call of the layer, or one outside a
// fit, gets y itself.
//
// The moving mean and variance are then updated as tfjs updates them (the
// biased batch variance, as tfjs uses; one kernel with the bits of tfjs'
// three ops), so the layer's weights, and saved models, are exactly the
// stock layer's. Inference, other axes,
// ranks and backends keep tfjs' own path.

import * as tf from "@tensorflow/tfjs";
import { markReluApplied } from "./_elementwise.ts";
import { type FusableLayer, reluFusable } from "./_relu_fusion.ts";
import { KernelPool } from "./_kernel_pool.ts";
import {
  heap,
  type Info,
  type KernelArgs,
  type Original,
  pointer,
  roundUp,
} from "./_heap.ts";

/** The custom kernel of the forward pass: y, batch mean and batch variance. */
export const BATCH_NORM = "FastBatchNorm";
/** The custom kernel of the backward pass: dx, dgamma and dbeta. */
export const BATCH_NORM_GRAD = "FastBatchNormGrad";
/** The custom kernel of a moving-average update (see updateMovingAverage). */
export const MOVING_AVERAGE = "FastMovingAverage";
/** Below this many elements one thread is faster than two. */
const MIN_THREADED_ELEMENTS = 1 << 15;
/** Floats per cache line: each thread's partial sums start on their own. */
const LINE_FLOATS = 16;

/** The shape of a `[..., c]` tensor as `pixels` rows of `c` channels. */
function rowsOf(x: Info): { pixels: number; c: number; size: number } {
  const size = tf.util.sizeFromShape(x.shape);
  const c = x.shape[x.shape.length - 1];
  return { pixels: size / c, c, size };
}

/**
 * Runs a per-channel reduction kernel (`bn_moments` or `bn_grad_moments`)
 * over all pixels and returns the two sums per channel (float64, `2c`): the
 * pixels are cut into `parts` (partsOf), whose partial sums at `partsAt`
 * are added in part order, so the sums do not depend on the threads.
 */
function channelSums(
  pool: KernelPool,
  name: "bn_moments" | "bn_grad_moments" | "bn_grad_moments_relu",
  inputs: number[],
  pixels: number,
  c: number,
  threads: number,
  partsAt: number,
): Float64Array {
  const stride = partFloats(c) * 4; // bytes
  const parts = partsOf(pixels, c);
  pool.runParts(
    name,
    pixels,
    parts,
    (begin, end, part) => [...inputs, c, partsAt + part * stride, begin, end],
    threads,
  );
  const buffer = pool.f32.buffer;
  const sums = new Float64Array(2 * c);
  for (let part = 0; part < parts; part++) {
    const sum = new Float64Array(buffer, partsAt + part * stride, 2 * c);
    for (let j = 0; j < 2 * c; j++) sums[j] += sum[j];
  }
  return sums;
}

/** Floats of one part's sums: 2c float64, then 2c floats of scratch. */
function partFloats(c: number): number {
  return roundUp(6 * c, LINE_FLOATS);
}

/** Parts of the channel sums over `pixels` pixels of `c` channels. */
function partsOf(pixels: number, c: number): number {
  return KernelPool.partsFor(pixels, partFloats(c));
}

/**
 * Channel j's scale, gamma / sqrt(variance + epsilon): the forward pass
 * multiplies by it, and the backward pass recomputes the ReLU's mask with it,
 * so both must get it from here (as float32 once stored).
 */
function scaleOf(
  gamma: Float32Array,
  variance: Float32Array,
  epsilon: number,
  j: number,
): number {
  return gamma[j] / Math.sqrt(variance[j] + epsilon);
}

/** Threads for a tensor of `size` elements in `pixels` rows. */
function threadsFor(pool: KernelPool, size: number, pixels: number): number {
  return size < MIN_THREADED_ELEMENTS ? 1 : Math.min(pool.threads, pixels);
}

/**
 * FastBatchNorm: inputs x `[..., c]`, gamma and beta `[c]`; attrs epsilon
 * and relu. Returns y (x normalized with the batch's moments, scaled and
 * shifted; with `relu`, max(y, 0) written in the same pass and marked as a
 * ReLU output), the batch mean and the (biased) batch variance.
 */
export function batchNorm(pool: KernelPool, args: KernelArgs): Info[] {
  const { inputs, backend, attrs } = args;
  const { x, gamma, beta } = inputs;
  const epsilon = attrs.epsilon as number;
  const relu = attrs.relu === true;
  const { pixels, c, size } = rowsOf(x);
  const threads = threadsFor(pool, size, pixels);
  const partsFloats = partsOf(pixels, c) * partFloats(c);
  pool.reset(partsFloats + 3 * c);
  const parts = pool.alloc(partsFloats);
  const coef = pool.alloc(3 * c);
  const y = backend.makeOutput(x.shape, "float32");
  const mean = backend.makeOutput([c], "float32");
  const variance = backend.makeOutput([c], "float32");
  const xAt = pointer(backend, x);
  // Sums of x - shift, shift = the first pixel (see bn_moments).
  const sums = channelSums(
    pool,
    "bn_moments",
    [xAt, xAt],
    pixels,
    c,
    threads,
    parts,
  );
  const xs = heap(backend, x);
  const meanOut = heap(backend, mean);
  const varianceOut = heap(backend, variance);
  const g = heap(backend, gamma);
  const b = heap(backend, beta);
  const f32 = pool.f32;
  const at = coef / 4;
  for (let j = 0; j < c; j++) {
    const shifted = sums[j] / pixels;
    meanOut[j] = xs[j] + shifted;
    varianceOut[j] = Math.max(0, sums[c + j] / pixels - shifted * shifted);
    f32[at + j] = meanOut[j];
    f32[at + c + j] = scaleOf(g, varianceOut, epsilon, j);
    f32[at + 2 * c + j] = b[j];
  }
  const yAt = pointer(backend, y);
  pool.run(
    relu ? "bn_normalize_relu" : "bn_normalize",
    pixels,
    (begin, end) => [xAt, coef, c, yAt, begin, end],
    threads,
  );
  if (relu) markReluApplied(y.dataId);
  return [y, mean, variance];
}

/**
 * FastBatchNormGrad: inputs dy, x, the batch mean and variance, gamma, and
 * beta when a ReLU was fused into the output y (dy is then masked by y > 0,
 * ReLU's gradient, as it is read, with y recomputed from x, the mean, beta
 * and the scale, exactly as batchNorm computed it); attr epsilon. Returns dx, dgamma and
 * dbeta of y = xhat * gamma + beta with xhat = (x - mean) * rstd,
 * rstd = 1 / sqrt(var + epsilon), n pixels:
 *
 *   dbeta = sum dy,  dgamma = rstd * sum dy * (x - mean),
 *   dx = gamma * rstd * (dy - dbeta / n - xhat * dgamma / n),
 *
 * computed as dx = dy * g + (x - mean) * k + m with per-channel g, k, m.
 */
export function batchNormGrad(pool: KernelPool, args: KernelArgs): Info[] {
  const { inputs, backend, attrs } = args;
  const { dy, x, mean, variance, gamma, beta } = inputs;
  const epsilon = attrs.epsilon as number;
  const { pixels, c, size } = rowsOf(x);
  const threads = threadsFor(pool, size, pixels);
  const partsFloats = partsOf(pixels, c) * partFloats(c);
  pool.reset(partsFloats + 4 * c + (beta == null ? 0 : 2 * c));
  const parts = pool.alloc(partsFloats);
  const coef = pool.alloc(4 * c);
  const dx = backend.makeOutput(x.shape, "float32");
  const dGamma = backend.makeOutput([c], "float32");
  const dBeta = backend.makeOutput([c], "float32");
  const dyAt = pointer(backend, dy);
  const xAt = pointer(backend, x);
  const meanAt = pointer(backend, mean);
  const m = heap(backend, mean);
  const v = heap(backend, variance);
  const g = heap(backend, gamma);
  const f32 = pool.f32;
  // With a ReLU fused, dy is read through its mask, y > 0, y recomputed from
  // the forward pass's scale and beta (the same float32 values as batchNorm's).
  let dyIn = [dyAt];
  if (beta != null) {
    const fc = pool.alloc(2 * c);
    const b = heap(backend, beta);
    for (let j = 0; j < c; j++) {
      f32[fc / 4 + j] = scaleOf(g, v, epsilon, j);
      f32[fc / 4 + c + j] = b[j];
    }
    dyIn = [dyAt, fc];
  }
  const sums = channelSums(
    pool,
    beta == null ? "bn_grad_moments" : "bn_grad_moments_relu",
    [...dyIn, xAt, meanAt],
    pixels,
    c,
    threads,
    parts,
  );
  const dGammaOut = heap(backend, dGamma);
  const dBetaOut = heap(backend, dBeta);
  const at = coef / 4;
  for (let j = 0; j < c; j++) {
    const rstd = 1 / Math.sqrt(v[j] + epsilon);
    const sumDy = sums[j];
    const sumDyXhat = sums[c + j] * rstd;
    dBetaOut[j] = sumDy;
    dGammaOut[j] = sumDyXhat;
    const scale = g[j] * rstd;
    f32[at + j] = m[j];
    f32[at + c + j] = -scale * rstd * sumDyXhat / pixels; // k
    f32[at + 2 * c + j] = -scale * sumDy / pixels; // m
    f32[at + 3 * c + j] = scale; // g
  }
  const dxAt = pointer(backend, dx);
  pool.run(
    beta == null ? "bn_grad_input" : "bn_grad_input_relu",
    pixels,
    (begin, end) => [...dyIn, xAt, coef, c, dxAt, begin, end],
    threads,
  );
  return [dx, dGamma, dBeta];
}

/**
 * Mean over the pixels of float32 NHWC images (axes 1 and 2: global average
 * pooling, a contrast augmentation's per-image means), images on all
 * threads, each summed in float64 as the batch-norm statistics are; any
 * other Mean goes to the original kernel.
 */
export function mean(
  pool: KernelPool,
  original: Original,
  args: KernelArgs,
): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const axes = x.shape.length === 4
    ? tf.util.parseAxisParam(attrs.axis as number | number[], x.shape)
      .toSorted((p, q) => p - q)
    : [];
  if (
    x.dtype !== "float32" || axes.length !== 2 || axes[0] !== 1 ||
    axes[1] !== 2 || tf.util.sizeFromShape(x.shape) < MIN_THREADED_ELEMENTS
  ) {
    return original(args) as Info;
  }
  const [n, h, w, c] = x.shape;
  pool.reset(c + n * 6 * c); // see channel_means in kernels/batch_norm.c
  const zeros = pool.alloc(c);
  pool.f32.fill(0, zeros / 4, zeros / 4 + c);
  const scratch = pool.alloc(n * 6 * c);
  const out = backend.makeOutput(
    attrs.keepDims ? [n, 1, 1, c] : [n, c],
    "float32",
  );
  const xAt = pointer(backend, x);
  const outAt = pointer(backend, out);
  pool.run(
    "channel_means",
    n,
    (begin, end) => [xAt, h * w, c, zeros, scratch, outAt, begin, end],
    pool.threads,
    true,
  );
  return out;
}

/** A tfjs-layers weight, as the layer reads and writes it. */
interface LayerWeight {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

/** The fields of tfjs-layers' BatchNormalization that the fused call reads. */
interface BatchNormLayer extends FusableLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma?: LayerWeight;
  beta?: LayerWeight;
  movingMean: LayerWeight;
  movingVariance: LayerWeight;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
}

/** Whether a batch norm writes the ReLU after it in its own pass (see setBatchNormReluFusion). */
let fuseRelu = true;
/** Batch-norm calls that wrote the ReLU after them, for tests. */
let fusedCalls = 0;

/**
 * Turns off (or back on) the fusion of a batch norm with the ReLU after it,
 * so that a test can compare both paths.
 */
export function setBatchNormReluFusion(on: boolean): void {
  fuseRelu = on;
}

/** How many batch-norm calls have written the ReLU after them (for tests). */
export function fusedBatchNormReluCount(): number {
  return fusedCalls;
}

function singleTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  if (!Array.isArray(inputs)) return inputs;
  return inputs.length === 1 ? inputs[0] : null;
}

/**
 * Batch normalization of `x` with its own moments, followed by a ReLU when
 * `relu`: y and the batch mean and variance (kept: the caller disposes
 * them); the gradient of y reaches x, gamma and beta.
 */
function fusedBatchNorm(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  relu: boolean,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  let moments: tf.Tensor[] = [];
  const op = tf.customGrad(
    ((
      xIn: tf.Tensor,
      gammaIn: tf.Tensor,
      betaIn: tf.Tensor,
      save: tf.GradSaveFunc,
    ) => {
      const [y, mean, variance] = tf.engine().runKernel(
        BATCH_NORM,
        { x: xIn, gamma: gammaIn, beta: betaIn },
        { epsilon, relu },
      ) as tf.Tensor[];
      // The moments leave through this closure (a custom gradient has one
      // output, and tfjs disposes everything else its forward makes), kept
      // until the caller disposes them; they are off the tape, as only the
      // moving averages use them.
      moments = [tf.keep(mean), tf.keep(variance)];
      save(
        relu
          ? [xIn, gammaIn, mean, variance, betaIn]
          : [xIn, gammaIn, mean, variance],
      );
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, gammas, means, variances, betas] = saved;
          const inputs: tf.NamedTensorMap = {
            dy,
            x: xs,
            mean: means,
            variance: variances,
            gamma: gammas,
          };
          // beta: the ReLU's mask is recomputed (see batchNormGrad).
          if (betas != null) inputs.beta = betas;
          return tf.engine().runKernel(
            BATCH_NORM_GRAD,
            inputs,
            { epsilon },
          ) as tf.Tensor[];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  const y = op(x, gamma, beta);
  return [y, moments[0], moments[1]];
}

/**
 * tfjs-layers' moving-average update, v -= (v - value) * (1 - momentum), as
 * one kernel call instead of its three (Sub, Mul, Sub): 54 kernel calls and
 * tape nodes fewer in a step of the residual CNN, ~1 ms of JavaScript.
 */
function updateMovingAverage(
  variable: LayerWeight,
  value: tf.Tensor,
  momentum: number,
): void {
  tf.tidy(() => {
    variable.write(
      tf.engine().runKernel(
        MOVING_AVERAGE,
        { variable: variable.read(), value },
        { decay: 1 - momentum },
      ) as tf.Tensor,
    );
  });
}

/**
 * FastMovingAverage: inputs variable and value (same shape, float32), attr
 * decay; variable - (variable - value) * decay, each step rounded to
 * float32 as tfjs' Sub, Mul (by decay made a float32 scalar) and Sub round
 * it, so the bits are theirs. A sum or product of two float32 values
 * computed in float64 and rounded once is the float32 result. The tensors
 * are one per channel, so JavaScript does it in place on the heap.
 */
function movingAverage(args: KernelArgs): Info {
  const { inputs, backend, attrs } = args;
  const { variable, value } = inputs;
  const out = backend.makeOutput(variable.shape, "float32");
  const v = heap(backend, variable);
  const x = heap(backend, value);
  const o = heap(backend, out);
  const decay = Math.fround(attrs.decay as number);
  for (let i = 0; i < o.length; i++) {
    o[i] = v[i] - Math.fround(Math.fround(v[i] - x[i]) * decay);
  }
  return out;
}

/**
 * Registers the batch-norm kernels on the wasm backend and patches
 * tfjs-layers' BatchNormalization call with the fused training path (taken
 * only for the cases described above, on the wasm backend); returns the
 * function that restores tfjs' own call and removes the kernels.
 */
export function installFusedBatchNorm(pool: KernelPool): () => void {
  tf.registerKernel({
    kernelName: BATCH_NORM,
    backendName: "wasm",
    kernelFunc: (args) => batchNorm(pool, args as unknown as KernelArgs),
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_GRAD,
    backendName: "wasm",
    kernelFunc: (args) => batchNormGrad(pool, args as unknown as KernelArgs),
  });
  tf.registerKernel({
    kernelName: MOVING_AVERAGE,
    backendName: "wasm",
    kernelFunc: (args) => movingAverage(args as unknown as KernelArgs),
  });
  const unregister = () => {
    tf.unregisterKernel(BATCH_NORM, "wasm");
    tf.unregisterKernel(BATCH_NORM_GRAD, "wasm");
    tf.unregisterKernel(MOVING_AVERAGE, "wasm");
  };
  // Found through the layer class registry, as for Conv in _conv_layer.ts.
  const registered = tf.serialization.SerializationMap.getMap().classNameMap
    .BatchNormalization as unknown as [{ prototype: object }] | undefined;
  const target = registered?.[0].prototype as { call?: unknown } | undefined;
  if (target == null || !Object.hasOwn(target, "call")) return unregister;
  const original = target.call as BatchNormLayer["call"];
  target.call = function (
    this: BatchNormLayer,
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: unknown,
  ) {
    const training = (kwargs as { training?: boolean } | undefined)?.training;
    const x = singleTensor(inputs);
    if (
      training !== true || x == null || x.rank !== 4 ||
      x.dtype !== "float32" || x.size === 0 ||
      (this.axis !== -1 && this.axis !== 3) || !this.center || !this.scale ||
      this.gamma == null || this.beta == null ||
      tf.getBackend() !== "wasm" || tf.getKernel(BATCH_NORM, "wasm") == null
    ) {
      return original.call(this, inputs, kwargs);
    }
    // The ReLU after it is fused in when the channels fill whole SIMD
    // registers (its kernel then computes max(y, 0) exactly as ReLU's does).
    const relu = fuseRelu && x.shape[3]! % 4 === 0 && reluFusable(this);
    if (relu) fusedCalls++;
    return tf.tidy(() => {
      const [y, mean, variance] = fusedBatchNorm(
        x,
        this.gamma!.read(),
        this.beta!.read(),
        this.epsilon,
        relu,
      );
      try {
        updateMovingAverage(this.movingMean, mean, this.momentum);
        updateMovingAverage(this.movingVariance, variance, this.momentum);
      } finally {
        tf.dispose([mean, variance]);
      }
      return y;
    });
  };
  return () => {
    target.call = original;
    unregister();
  };
}
