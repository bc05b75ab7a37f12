// Gradient kernels for tfjs' wasm backend, computed by kernels.wasm.
//
// tfjs' wasm backend has fast forward convolutions (XNNPACK) but no
// Conv2DBackpropFilter at all and slow scalar loops for Conv2DBackpropInput
// and MaxPoolGrad, which makes training either impossible or very slow. Each
// kernel here copies its inputs from the tfjs heap into the kernel pool's
// shared memory (zero-padding them so that the SIMD loops need no bounds
// checks), runs the SIMD kernel split over the pool's threads, and copies the
// result into a new tfjs tensor. Anything the fast path does not cover (NCHW
// data, non-float dtypes, unusual explicit padding) runs the cpu backend's
// kernel instead: slower, never wrong.

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelPool } from "./_kernel_pool.ts";
import { type LocalKernels, pointer } from "./_local_kernels.ts";

type Info = tf.TensorInfo;
type Inputs = Record<string, Info>;
type Attrs = tf.NamedAttrMap;

/** Output channels are padded to this many so two SIMD registers fill up. */
const CHANNEL_BLOCK = 8;

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Float32 view of a tensor's data inside the tfjs wasm heap. */
function heap(backend: BackendWasm, t: Info): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/**
 * Runs a kernel on the cpu backend (the reference implementation) and copies
 * the result back into the wasm backend: the correct path for any
 * configuration the fast kernels do not handle.
 */
export function runOnCpu(
  kernelName: string,
  inputs: Inputs,
  attrs: Attrs,
  backend: BackendWasm,
): Info {
  const cpu = tf.findBackend("cpu");
  const kernel = tf.getKernel(kernelName, "cpu");
  if (cpu == null || kernel == null) {
    throw new Error(
      `Cannot run ${kernelName} on the fallback path: the cpu backend is not registered, received ${cpu}`,
    );
  }
  const cpuInputs: Inputs = {};
  for (const [name, t] of Object.entries(inputs)) {
    const values = backend.readSync(t.dataId) as tf.backend_util.BackendValues;
    cpuInputs[name] = {
      dataId: cpu.write(values, t.shape, t.dtype),
      shape: t.shape,
      dtype: t.dtype,
    };
  }
  const result = kernel.kernelFunc({
    inputs: cpuInputs,
    backend: cpu,
    attrs,
  }) as Info;
  const values = cpu.readSync(result.dataId) as Float32Array;
  cpu.disposeData(result.dataId);
  for (const t of Object.values(cpuInputs)) cpu.disposeData(t.dataId);
  const out = backend.makeOutput(result.shape, result.dtype);
  backend.typedArrayFromHeap(out).set(values);
  return out;
}

/**
 * Copies an NHWC tensor into pool memory at `dst` with `c` channels spread
 * over `cPad` slots, rows of `w` pixels placed `wPad` apart, pixel (y, x)
 * landing at (top + y * sy, left + x * sx) of an `hPad` x `wPad` image. The
 * destination must already be zeroed.
 */
function copyPadded(
  src: Float32Array,
  dst: Float32Array,
  at: number,
  shape: { b: number; h: number; w: number; c: number },
  place: {
    hPad: number;
    wPad: number;
    cPad: number;
    top: number;
    left: number;
    sy: number;
    sx: number;
  },
): void {
  const { b, h, w, c } = shape;
  const { hPad, wPad, cPad, top, left, sy, sx } = place;
  const rowLength = w * c;
  const contiguousRows = sx === 1 && cPad === c;
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      const from = (n * h + y) * rowLength;
      const to = at + ((n * hPad + top + y * sy) * wPad + left) * cPad;
      if (contiguousRows) {
        dst.set(src.subarray(from, from + rowLength), to);
        continue;
      }
      for (let x = 0; x < w; x++) {
        const px = to + x * sx * cPad;
        for (let k = 0; k < c; k++) dst[px + k] = src[from + x * c + k];
      }
    }
  }
}

/** Copies `[pixels, cPad]` pool data into a `[pixels, c]` tfjs tensor. */
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
  attrs: Attrs,
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

/**
 * Sizes shared by the pool-side convolutions: output channels rounded up to
 * the SIMD block (`cop`), and the zero-padded input size (`hp` × `wp`) that
 * holds every window, (ho - 1) * stride + k rows and columns.
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

/**
 * Copies the layer input `x` into pool memory, zero-padded to `hp` × `wp`
 * (so the kernels' loops need no bounds checks), and returns its offset.
 * Allocates from the pool: call right after `pool.reset()`.
 */
function stagePaddedInput(
  pool: KernelPool,
  backend: BackendWasm,
  x: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  hp: number,
  wp: number,
): number {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c } = info;
  const xp = pool.alloc(b * hp * wp * c);
  const mem = pool.f32;
  mem.fill(0, xp / 4, xp / 4 + b * hp * wp * c);
  copyPadded(heap(backend, x), mem, xp / 4, { b, h, w, c }, {
    hPad: hp,
    wPad: wp,
    cPad: c,
    top: info.padInfo.top,
    left: info.padInfo.left,
    sy: 1,
    sx: 1,
  });
  return xp;
}

/**
 * Conv2DBackpropFilter: dW[i, j, ci, co] = sum over batch and output pixels
 * of x[b, oy*sh + i - top, ox*sw + j - left, ci] * dy[b, oy, ox, co], the
 * correlation of the layer input with the output gradient.
 */
export function conv2DBackpropFilter(
  pool: KernelPool,
  args: { inputs: Inputs; backend: BackendWasm; attrs: Attrs },
): Info {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const info = convInfo(x.shape, attrs.filterShape as number[], attrs);
  if (info.dataFormat !== "channelsLast" || x.dtype !== "float32") {
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
  const threads = Math.min(pool.threads, b * ho);
  const partLength = kh * kw * c * cop;

  pool.reset();
  const xp = stagePaddedInput(pool, backend, x, info, hp, wp);
  const dyp = pool.alloc(b * ho * wo * cop);
  const parts = pool.alloc(threads * partLength);
  const sum = pool.alloc(partLength);
  const mem = pool.f32;
  if (cop !== co) mem.fill(0, dyp / 4, dyp / 4 + b * ho * wo * cop);
  copyPadded(heap(backend, dy), mem, dyp / 4, { b, h: ho, w: wo, c: co }, {
    hPad: ho,
    wPad: wo,
    cPad: cop,
    top: 0,
    left: 0,
    sy: 1,
    sx: 1,
  });
  mem.fill(0, parts / 4, parts / 4 + threads * partLength);
  pool.run(
    "conv_filter_grad",
    b * ho,
    (begin, end, t) => [
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
      parts + t * partLength * 4,
      begin,
      end,
    ],
    threads,
  );
  pool.run("sum_parts", 1, () => [parts, threads, partLength, sum], 1);
  const out = backend.makeOutput([kh, kw, c, co], "float32");
  copyUnpadded(pool.f32, sum / 4, heap(backend, out), kh * kw * c, co, cop);
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
  args: { inputs: Inputs; backend: BackendWasm; attrs: Attrs },
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
  if (info.dataFormat !== "channelsLast" || dy.dtype !== "float32" || !fits) {
    return runOnCpu(tf.Conv2DBackpropInput, inputs, attrs, backend);
  }
  const cip = roundUp(c, CHANNEL_BLOCK);

  pool.reset();
  const dyp = pool.alloc(b * hd * wd * co);
  const wt = pool.alloc(kh * kw * co * cip);
  const dx = pool.alloc(b * h * w * cip);
  const mem = pool.f32;
  mem.fill(0, dyp / 4, dyp / 4 + b * hd * wd * co);
  copyPadded(heap(backend, dy), mem, dyp / 4, { b, h: ho, w: wo, c: co }, {
    hPad: hd,
    wPad: wd,
    cPad: co,
    top,
    left,
    sy: sh,
    sx: sw,
  });
  // wt[i, j, o, k] = filter[kh-1-i, kw-1-j, k, o], k padded to cip.
  const f = heap(backend, filter);
  mem.fill(0, wt / 4, wt / 4 + kh * kw * co * cip);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const src = ((kh - 1 - i) * kw + (kw - 1 - j)) * c * co;
      const dst = wt / 4 + (i * kw + j) * co * cip;
      for (let k = 0; k < c; k++) {
        for (let o = 0; o < co; o++) {
          mem[dst + o * cip + k] = f[src + k * co + o];
        }
      }
    }
  }
  pool.run("conv_forward", b * h, (begin, end) => [
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
    begin,
    end,
  ]);
  const out = backend.makeOutput([b, h, w, c], "float32");
  copyUnpadded(pool.f32, dx / 4, heap(backend, out), b * h * w, c, cip);
  return out;
}

/**
 * MaxPoolGrad: each pooled output's gradient goes to the input position that
 * won the max (the first one, on ties), everything else gets zero.
 */
export function maxPoolGrad(
  local: LocalKernels,
  args: { inputs: Inputs; backend: BackendWasm; attrs: Attrs },
): Info {
  const { inputs, backend, attrs } = args;
  const { dy, input, output } = inputs;
  if (input.dtype !== "float32") {
    return runOnCpu(tf.MaxPoolGrad, inputs, attrs, backend);
  }
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "same" | "valid",
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
  const {
    batchSize: b,
    inHeight: h,
    inWidth: w,
    inChannels: c,
    outHeight: ho,
    outWidth: wo,
    filterHeight: fh,
    filterWidth: fw,
    strideHeight: sh,
    strideWidth: sw,
    padInfo,
  } = info;
  // Memory-bound: runs in place on the tfjs heap, no copies.
  const out = backend.makeOutput([b, h, w, c], "float32");
  const dx = pointer(backend, out);
  local.zero(dx, b * h * w * c);
  local.max_pool_grad(
    pointer(backend, input),
    pointer(backend, output),
    pointer(backend, dy),
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
    padInfo.top,
    padInfo.left,
    0,
    b * ho,
  );
  return out;
}

/**
 * Conv2D forward on the kernel pool (NHWC, dilation 1, float32), used where
 * it beats XNNPACK's single-threaded convolution; anything else goes to the
 * original kernel.
 */
export function conv2D(
  pool: KernelPool,
  original: (
    args: { inputs: Inputs; backend: BackendWasm; attrs: Attrs },
  ) => Info,
  args: { inputs: Inputs; backend: BackendWasm; attrs: Attrs },
): Info {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  const dilations = attrs.dilations as number | [number, number] | undefined;
  const dilated = dilations != null &&
    (Array.isArray(dilations)
      ? dilations.some((d) => d !== 1)
      : dilations !== 1);
  if (x.dtype !== "float32" || dilated) return original(args);
  const info = convInfo(x.shape, filter.shape, attrs);
  if (info.dataFormat !== "channelsLast") return original(args);
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

  pool.reset();
  const xp = stagePaddedInput(pool, backend, x, info, hp, wp);
  const wt = pool.alloc(kh * kw * c * cop);
  const y = pool.alloc(b * ho * wo * cop);
  const mem = pool.f32;
  if (cop !== co) mem.fill(0, wt / 4, wt / 4 + kh * kw * c * cop);
  copyPadded(heap(backend, filter), mem, wt / 4, {
    b: 1,
    h: 1,
    w: kh * kw * c,
    c: co,
  }, {
    hPad: 1,
    wPad: kh * kw * c,
    cPad: cop,
    top: 0,
    left: 0,
    sy: 1,
    sx: 1,
  });
  pool.run("conv_forward", b * ho, (begin, end) => [
    xp,
    hp,
    wp,
    c,
    wt,
    kh,
    kw,
    cop,
    sh,
    sw,
    y,
    ho,
    wo,
    begin,
    end,
  ]);
  const out = backend.makeOutput([b, ho, wo, co], "float32");
  copyUnpadded(pool.f32, y / 4, heap(backend, out), b * ho * wo, co, cop);
  return out;
}
