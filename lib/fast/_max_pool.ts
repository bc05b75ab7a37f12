// Max pooling and its gradient on all of the kernel pool's threads, in place
// on the tfjs heap (the wasm backend runs both on one thread, the gradient
// in scalar code).
//
// While gradients are recorded, the 2x2 pooling also writes one byte per
// output: which input won the window, and whether the maximum is positive.
// The gradient then reads these bytes instead of the whole input (a full pass
// over the largest tensors of a CNN saved per layer). The bytes live on the
// heap next to the pooled tensor and are freed when its data is
// (installWinnerStash wraps the backend's disposeData).

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { KernelPool } from "./_kernel_pool.ts";
import { runOnCpu } from "./_cpu_fallback.ts";
import {
  type Info,
  type KernelArgs,
  type Original,
  pointer,
  recordingGradients,
  roundUp,
} from "./_heap.ts";
import { isFusedReluOutput, markMaskedGradient } from "./_conv_layer.ts";

/** Winner bytes of a pooled output (by its data id) and the input they describe. */
const winners = new Map<object, { at: number; input: object }>();

/** How many pooled tensors hold winner bytes now (for tests). */
export function winnerStashCount(): number {
  return winners.size;
}

/**
 * Frees a pooled tensor's winner bytes when the backend frees its data;
 * returns the function that undoes this and frees every stash left.
 */
export function installWinnerStash(
  pool: KernelPool,
  backend: BackendWasm,
): () => void {
  const target = backend as unknown as {
    disposeData(dataId: object, force?: boolean): boolean;
    dataIdMap: { has(dataId: object): boolean };
  };
  const own = Object.hasOwn(target, "disposeData");
  const original = target.disposeData;
  target.disposeData = function (dataId: object, force?: boolean) {
    const result = original.call(this, dataId, force);
    const stash = winners.get(dataId);
    if (stash != null && !target.dataIdMap.has(dataId)) {
      winners.delete(dataId);
      pool.free(stash.at);
    }
    return result;
  };
  return () => {
    if (own) target.disposeData = original;
    else delete (target as { disposeData?: unknown }).disposeData;
    for (const { at } of winners.values()) pool.free(at);
    winners.clear();
  };
}

function poolInfo(
  shape: number[],
  attrs: tf.NamedAttrMap,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "same" | "valid",
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
}

/** The tutorial's pooling: 2×2 windows, stride 2, no padding, channels in fours. */
function isPlain2x2(info: tf.backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  return filterHeight === 2 && filterWidth === 2 && strideHeight === 2 &&
    strideWidth === 2 && info.padInfo.top === 0 && info.padInfo.left === 0 &&
    info.inChannels % 4 === 0 &&
    info.outHeight === Math.floor(info.inHeight / 2) &&
    info.outWidth === Math.floor(info.inWidth / 2);
}

/** MaxPool: the largest input of each window (float32 NHWC); else the original kernel. */
export function maxPool(
  pool: KernelPool,
  original: Original,
  args: KernelArgs,
): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (x.dtype !== "float32" || x.shape.length !== 4) {
    return original(args) as Info;
  }
  const info = poolInfo(x.shape, attrs);
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c } = info;
  const { outHeight: ho, outWidth: wo, filterHeight: fh } = info;
  const { filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const out = backend.makeOutput([b, ho, wo, c], "float32");
  const xAt = pointer(backend, x);
  const yAt = pointer(backend, out);
  if (isPlain2x2(info)) {
    // Winner bytes for the gradient, when one will be taken.
    const idx = recordingGradients()
      ? pool.malloc(roundUp(b * ho * wo * c, 16))
      : 0;
    if (idx !== 0) winners.set(out.dataId, { at: idx, input: x.dataId });
    pool.run(
      "max_pool_2x2",
      b * ho,
      (begin, end) => [
        xAt,
        yAt,
        idx,
        h,
        w,
        c,
        ho,
        wo,
        begin,
        end,
      ],
      pool.threads,
      true,
    );
    return out;
  }
  pool.run("max_pool", b * ho, (begin, end) => [
    xAt,
    yAt,
    h,
    w,
    c,
    ho,
    wo,
    fh,
    fw,
    sh,
    sw,
    info.padInfo.top,
    info.padInfo.left,
    begin,
    end,
  ]);
  return out;
}

/**
 * MaxPoolGrad: each pooled output's gradient goes to the input position that
 * won the max (the first one, on ties), everything else gets zero. Behind a
 * fused ReLU convolution (see _conv_layer.ts) the 2x2 path also applies the
 * ReLU's mask and sums each channel (the layer's bias gradient), and leaves
 * both facts with its result. Threads
 * split the output rows when windows do not overlap vertically (window
 * height ≤ stride), so each writes its own input rows.
 */
export function maxPoolGrad(pool: KernelPool, args: KernelArgs): Info {
  const { inputs, backend, attrs } = args;
  const { dy, input, output } = inputs;
  if (
    input.dtype !== "float32" || dy.dtype !== "float32" ||
    input.shape.length !== 4
  ) {
    return runOnCpu(tf.MaxPoolGrad, inputs, attrs, backend);
  }
  const info = poolInfo(input.shape, attrs);
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c } = info;
  const { outHeight: ho, outWidth: wo, filterHeight: fh } = info;
  const { filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const out = backend.makeOutput([b, h, w, c], "float32");
  const dx = pointer(backend, out);
  const xAt = pointer(backend, input);
  const yAt = pointer(backend, output);
  const dyAt = pointer(backend, dy);
  if (isPlain2x2(info)) {
    // Behind a fused ReLU convolution, apply its gradient's mask here, and
    // sum each channel's gradient (that layer's bias gradient) on the way.
    const reluMask = isFusedReluOutput(input.dataId);
    const stride = roundUp(c, 16); // each part's sums on their own cache lines
    // With sums to make, the rows are a reduction's parts (KernelPool.runParts).
    const parts = reluMask ? KernelPool.partsFor(b * ho, stride) : 0;
    let sums = 0;
    if (reluMask) {
      pool.reset((parts + 1) * stride);
      sums = pool.alloc(parts * stride);
      pool.f32.fill(0, sums / 4, sums / 4 + parts * stride);
    }
    // From the winner bytes of the forward pool when it kept them, else
    // from the pooled input and output.
    const stash = winners.get(output.dataId);
    const fromBytes = stash != null && stash.input === input.dataId;
    const sources = fromBytes ? [stash.at] : [xAt, yAt];
    const kernel = fromBytes ? "max_pool_2x2_grad_idx" : "max_pool_2x2_grad";
    const list = (begin: number, end: number, part: number) => [
      ...sources,
      dyAt,
      dx,
      h,
      w,
      c,
      ho,
      wo,
      reluMask ? 1 : 0,
      reluMask ? sums + part * stride * 4 : 0,
      begin,
      end,
    ];
    if (reluMask) pool.runParts(kernel, b * ho, parts, list);
    else {pool.run(
        kernel,
        b * ho,
        (begin, end) => list(begin, end, 0),
        pool.threads,
        true,
      );}
    if (reluMask) {
      const total = pool.alloc(stride);
      pool.sumParts(sums, parts, stride, total);
      const channelSums = pool.f32.slice(total / 4, total / 4 + c);
      markMaskedGradient(out.dataId, input.dataId, channelSums);
    }
    return out;
  }
  pool.runElements("zero", b * h * w * c, (begin, end) => [dx, begin, end]);
  pool.run(
    "max_pool_grad",
    b * ho,
    (begin, end) => [
      xAt,
      yAt,
      dyAt,
      dx,
      h,
      w,
      c,
      ho,
      wo,
      fh,
      fw,
      sh,
      sw,
      info.padInfo.top,
      info.padInfo.left,
      begin,
      end,
    ],
    fh <= sh ? pool.threads : 1,
  );
  return out;
}
