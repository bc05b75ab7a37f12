// Convolution kernels for tfjs' wasm backend, computed by kernels.wasm on all
// of the kernel pool's threads, in place on the (shared) tfjs heap.
//
// tfjs' wasm backend runs its forward convolution on one thread (XNNPACK),
// has no Conv2DBackpropFilter at all and a slow scalar Conv2DBackpropInput.
// Each kernel here reads its tensors where tfjs keeps them: the forward pass
// and the stride-1 input gradient run conv_implicit, which skips the
// window positions that fall in the padding. Only the filter gradient copies
// the layer input into a zero-padded scratch image (so that its SIMD loops
// need no bounds checks), a strided input gradient spreads dy into one, and
// channels are padded to a multiple of 8 where a layer has an odd count. Anything the fast path does not cover
// (NCHW data, non-float dtypes, dilations, unusual explicit padding) runs the
// original kernel or the cpu backend's: slower, never wrong.

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { KernelPool } from "./_kernel_pool.ts";
import { runOnCpu } from "./_cpu_fallback.ts";
import {
  heap,
  type Info,
  type KernelArgs,
  type Original,
  pointer,
  roundUp,
} from "./_heap.ts";

/** Output channels are padded to this many so two SIMD registers fill up. */
const CHANNEL_BLOCK = 8;

/** Where an image lands in a padded buffer: rows `top`, columns `left`, every `sy`/`sx` pixels. */
interface Placement {
  hPad: number;
  wPad: number;
  cPad: number;
  top: number;
  left: number;
  sy: number;
  sx: number;
}

/**
 * Copies an NHWC tensor into heap memory at float index `at`, with `c`
 * channels spread over `cPad` slots and pixel (y, x) landing at
 * (top + y * sy, left + x * sx) of an `hPad` x `wPad` image; every other
 * slot is zeroed.
 */
function copyPadded(
  src: Float32Array,
  dst: Float32Array,
  at: number,
  shape: { b: number; h: number; w: number; c: number },
  place: Placement,
): void {
  const { b, h, w, c } = shape;
  const { hPad, wPad, cPad, top, left, sy, sx } = place;
  const rowLength = w * c;
  const padRow = wPad * cPad;
  if (sx === 1 && sy === 1 && cPad === c) {
    // The common case: zero only the border, copy whole rows.
    for (let n = 0; n < b; n++) {
      const image = at + n * hPad * padRow;
      dst.fill(0, image, image + top * padRow);
      dst.fill(0, image + (top + h) * padRow, image + hPad * padRow);
      for (let y = 0; y < h; y++) {
        const row = image + (top + y) * padRow;
        const from = (n * h + y) * rowLength;
        dst.fill(0, row, row + left * c);
        dst.set(src.subarray(from, from + rowLength), row + left * c);
        dst.fill(0, row + (left + w) * c, row + padRow);
      }
    }
    return;
  }
  dst.fill(0, at, at + b * hPad * padRow);
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      const from = (n * h + y) * rowLength;
      const to = at + ((n * hPad + top + y * sy) * wPad + left) * cPad;
      for (let x = 0; x < w; x++) {
        const px = to + x * sx * cPad;
        for (let k = 0; k < c; k++) dst[px + k] = src[from + x * c + k];
      }
    }
  }
}

/** Copies `[pixels, cPad]` heap data at float index `at` into a `[pixels, c]` array. */
function copyUnpadded(
  src: Float32Array,
  at: number,
  dst: Float32Array,
  pixels: number,
  c: number,
  cPad: number,
): void {
  if (c === cPad) {
    dst.set(src.subarray(at, at + pixels * c));
    return;
  }
  for (let p = 0; p < pixels; p++) {
    for (let k = 0; k < c; k++) dst[p * c + k] = src[at + p * cPad + k];
  }
}

function convInfo(
  inShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
): tf.backend_util.Conv2DInfo {
  const format = tf.backend_util.convertConv2DDataFormat(
    (attrs.dataFormat as "NHWC" | "NCHW") ?? "NHWC",
  );
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "same" | "valid",
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    false,
    format,
  );
}

function isDilated(attrs: tf.NamedAttrMap): boolean {
  const d = attrs.dilations as number | [number, number] | undefined;
  return d != null && (Array.isArray(d) ? d.some((v) => v !== 1) : d !== 1);
}

/**
 * Sizes shared by the convolutions: output channels rounded up to the SIMD
 * block (`cop`), and the zero-padded input size (`hp` × `wp`) that holds
 * every window, (ho - 1) * stride + k rows and columns.
 */
function paddedSizes(info: tf.backend_util.Conv2DInfo) {
  const { inHeight: h, inWidth: w, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: kh, filterWidth: kw, padInfo } = info;
  return {
    cop: roundUp(info.outChannels, CHANNEL_BLOCK),
    hp: Math.max(h + padInfo.top, (ho - 1) * info.strideHeight + kh),
    wp: Math.max(w + padInfo.left, (wo - 1) * info.strideWidth + kw),
  };
}

/** Floats of scratch the padded copy of the layer input takes (0 when none is needed). */
function paddedInputFloats(
  info: tf.backend_util.Conv2DInfo,
  hp: number,
  wp: number,
): number {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c } = info;
  return hp === h && wp === w ? 0 : b * hp * wp * c;
}

/**
 * The layer input `x`, zero-padded to `hp` × `wp` so the kernels' loops need
 * no bounds checks: its own heap address when no padding is needed, else a
 * padded copy in scratch.
 */
function paddedInput(
  pool: KernelPool,
  backend: BackendWasm,
  x: Info,
  info: tf.backend_util.Conv2DInfo,
  hp: number,
  wp: number,
): number {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c } = info;
  if (hp === h && wp === w) return pointer(backend, x);
  const xp = pool.alloc(b * hp * wp * c);
  const src = pointer(backend, x);
  const { top, left } = info.padInfo;
  pool.run(
    "pad_rows",
    b * hp,
    (begin, end) => [
      src,
      xp,
      h,
      w,
      c,
      hp,
      wp,
      top,
      left,
      begin,
      end,
    ],
    pool.threads,
    true,
  );
  return xp;
}

/** A `[rows, c]` tensor as `[rows, cPad]`: itself when c = cPad, else a zero-padded scratch copy. */
function channelPadded(
  pool: KernelPool,
  backend: BackendWasm,
  t: Info,
  rows: number,
  c: number,
  cPad: number,
): number {
  if (c === cPad) return pointer(backend, t);
  const at = pool.alloc(rows * cPad);
  copyPadded(heap(backend, t), pool.f32, at / 4, { b: 1, h: 1, w: rows, c }, {
    hPad: 1,
    wPad: rows,
    cPad,
    top: 0,
    left: 0,
    sy: 1,
    sx: 1,
  });
  return at;
}

/**
 * Conv2D forward, optionally with a bias and ReLU fused into the pass that
 * stores the outputs (FusedConv2D, which tfjs runs at inference); float32
 * NHWC without dilation, anything else goes to the original kernel.
 */
export function conv2D(
  pool: KernelPool,
  original: Original,
  args: KernelArgs,
): Info {
  const { inputs, backend, attrs } = args;
  const { x, filter, bias, preluActivationWeights } = inputs;
  const activation = (attrs.activation as string | undefined) ?? "linear";
  if (
    x.dtype !== "float32" || isDilated(attrs) ||
    preluActivationWeights != null ||
    (activation !== "linear" && activation !== "relu") ||
    (bias != null && (bias.dtype !== "float32" || bias.shape.length > 1))
  ) {
    return original(args) as Info;
  }
  const info = convInfo(x.shape, filter.shape, attrs);
  if (info.dataFormat !== "channelsLast") return original(args) as Info;
  const {
    batchSize: b,
    inChannels: c,
    outHeight: ho,
    outWidth: wo,
    outChannels: co,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const { cop } = paddedSizes(info);
  const padded = cop !== co;
  // A scalar bias is broadcast to every channel.
  const biasValues = bias == null ? null : heap(backend, bias);
  pool.reset(kh * kw * c * cop + (padded ? b * ho * wo * cop : 0) + cop);
  const wt = pool.alloc(kh * kw * c * cop);
  pool.call("pack_weights", pointer(backend, filter), kh * kw * c, co, cop, wt);
  let biasAt = 0;
  if (biasValues != null) {
    biasAt = pool.alloc(cop);
    const mem = pool.f32;
    mem.fill(0, biasAt / 4, biasAt / 4 + cop);
    for (let k = 0; k < co; k++) {
      mem[biasAt / 4 + k] = biasValues[biasValues.length === 1 ? 0 : k];
    }
  }
  const out = backend.makeOutput([b, ho, wo, co], "float32");
  const y = padded ? pool.alloc(b * ho * wo * cop) : pointer(backend, out);
  // conv_implicit reads x where it is, skipping the padding's zeros.
  const xp = pointer(backend, x);
  const { top, left } = info.padInfo;
  pool.run(
    "conv_implicit",
    b * ho,
    (begin, end) => [
      xp,
      info.inHeight,
      info.inWidth,
      c,
      wt,
      kh,
      kw,
      cop,
      sh,
      sw,
      top,
      left,
      y,
      ho,
      wo,
      biasAt,
      activation === "relu" ? 1 : 0,
      begin,
      end,
    ],
    pool.threads,
    true,
  );
  if (padded) {
    copyUnpadded(pool.f32, y / 4, heap(backend, out), b * ho * wo, co, cop);
  }
  return out;
}

/**
 * Conv2DBackpropFilter: dW[i, j, ci, co] = sum over batch and output pixels
 * of x[b, oy*sh + i - top, ox*sw + j - left, ci] * dy[b, oy, ox, co], the
 * correlation of the layer input with the output gradient. The rows are cut
 * into parts fixed by the shape (KernelPool.partsFor), each summed into its
 * own copy of dW by whichever thread claims it; the copies are added last,
 * in part order.
 */
export function conv2DBackpropFilter(
  pool: KernelPool,
  args: KernelArgs,
): Info {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const info = convInfo(x.shape, attrs.filterShape as number[], attrs);
  if (
    info.dataFormat !== "channelsLast" || x.dtype !== "float32" ||
    dy.dtype !== "float32" || isDilated(attrs)
  ) {
    return runOnCpu(tf.Conv2DBackpropFilter, inputs, attrs, backend);
  }
  const {
    batchSize: b,
    inChannels: c,
    outHeight: ho,
    outWidth: wo,
    outChannels: co,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const { cop, hp, wp } = paddedSizes(info);
  const partLength = kh * kw * c * cop;
  const parts = KernelPool.partsFor(b * ho, partLength);
  const padded = cop !== co;

  pool.reset(
    paddedInputFloats(info, hp, wp) + (padded ? b * ho * wo * cop : 0) +
      (parts + 1) * partLength,
  );
  const xp = paddedInput(pool, backend, x, info, hp, wp);
  const dyp = channelPadded(pool, backend, dy, b * ho * wo, co, cop);
  const partsAt = pool.alloc(parts * partLength);
  pool.runElements("zero", parts * partLength, (begin, end) => [
    partsAt,
    begin,
    end,
  ]);
  pool.runParts("conv_filter_grad", b * ho, parts, (begin, end, part) => [
    xp,
    hp,
    wp,
    c,
    dyp,
    ho,
    wo,
    cop,
    kh,
    kw,
    sh,
    sw,
    partsAt + part * partLength * 4,
    begin,
    end,
  ]);
  const out = backend.makeOutput([kh, kw, c, co], "float32");
  const sum = padded ? pool.alloc(partLength) : pointer(backend, out);
  pool.sumParts(partsAt, parts, partLength, sum);
  if (padded) {
    copyUnpadded(pool.f32, sum / 4, heap(backend, out), kh * kw * c, co, cop);
  }
  return out;
}

/**
 * Conv2DBackpropInput: the input gradient is a stride-1 convolution of the
 * output gradient (with zeros inserted between its pixels when the forward
 * stride is > 1, and padded by kernel size - 1 - forward padding) with the
 * filter rotated by 180 degrees and its in/out channels swapped.
 */
export function conv2DBackpropInput(
  pool: KernelPool,
  args: KernelArgs,
): Info {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const info = convInfo(attrs.inputShape as number[], filter.shape, attrs);
  const {
    batchSize: b,
    inHeight: h,
    inWidth: w,
    inChannels: c,
    outHeight: ho,
    outWidth: wo,
    outChannels: co,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    padInfo,
  } = info;
  // Padding of the (zero-inserted) dy so a stride-1 "valid" convolution
  // with a kh x kw kernel yields exactly h x w outputs.
  const top = kh - 1 - padInfo.top;
  const left = kw - 1 - padInfo.left;
  const hd = h + kh - 1;
  const wd = w + kw - 1;
  const fits = top >= 0 && left >= 0 && top + (ho - 1) * sh < hd &&
    left + (wo - 1) * sw < wd;
  if (
    info.dataFormat !== "channelsLast" || dy.dtype !== "float32" ||
    filter.dtype !== "float32" || isDilated(attrs) || !fits
  ) {
    return runOnCpu(tf.Conv2DBackpropInput, inputs, attrs, backend);
  }
  const cip = roundUp(c, CHANNEL_BLOCK);
  const padded = cip !== c;
  // Stride 1 (the common case) reads dy where it is: conv_implicit skips the
  // window positions that fall in the padding. A larger stride needs zeros
  // inserted between dy's pixels, so dy is spread into a padded copy.
  const spread = sh !== 1 || sw !== 1;

  pool.reset(
    (spread ? b * hd * wd * co : 0) + kh * kw * co * cip +
      (padded ? b * h * w * cip : 0),
  );
  const dyp = spread ? pool.alloc(b * hd * wd * co) : pointer(backend, dy);
  const wt = pool.alloc(kh * kw * co * cip);
  if (spread) {
    copyPadded(
      heap(backend, dy),
      pool.f32,
      dyp / 4,
      { b, h: ho, w: wo, c: co },
      {
        hPad: hd,
        wPad: wd,
        cPad: co,
        top,
        left,
        sy: sh,
        sx: sw,
      },
    );
  }
  // The filter rotated by 180 degrees, in/out channels swapped, packed.
  pool.call(
    "pack_weights_flipped",
    pointer(backend, filter),
    kh,
    kw,
    c,
    co,
    cip,
    wt,
  );
  const out = backend.makeOutput([b, h, w, c], "float32");
  const dx = padded ? pool.alloc(b * h * w * cip) : pointer(backend, out);
  if (spread) {
    pool.run(
      "conv_forward",
      b * h,
      (begin, end) => [
        dyp,
        hd,
        wd,
        co,
        wt,
        kh,
        kw,
        cip,
        1,
        1,
        dx,
        h,
        w,
        0,
        0,
        begin,
        end,
      ],
      pool.threads,
      true,
    );
  } else {
    pool.run(
      "conv_implicit",
      b * h,
      (begin, end) => [
        dyp,
        ho,
        wo,
        co,
        wt,
        kh,
        kw,
        cip,
        1,
        1,
        top,
        left,
        dx,
        h,
        w,
        0,
        0,
        begin,
        end,
      ],
      pool.threads,
      true,
    );
  }
  if (padded) {
    copyUnpadded(pool.f32, dx / 4, heap(backend, out), b * h * w, c, cip);
  }
  return out;
}
