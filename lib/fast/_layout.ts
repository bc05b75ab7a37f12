// Data-movement kernels for tfjs' wasm backend: Tile, Reverse, Transform,
// and the augmentation layers' FlipImages.
//
// Data augmentation (random flips, rotations and zooms, per-image masks
// broadcast over pixels) leans on these, and the wasm backend computes them
// element by element with index arithmetic. Here Transform runs kernels.wasm
// once per output pixel (not once per channel; for zooms and shifts, once
// per input row and column, then one blend per output value), Tile copies whole blocks and
// doubles them with `copyWithin` (memcpy speed), and a one-axis Reverse
// copies contiguous runs with kernels.wasm, all in place on the tfjs heap.

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { KernelPool } from "./_kernel_pool.ts";
import {
  type Info,
  type KernelArgs as Args,
  type Original,
  pointer,
  shareData,
} from "./_heap.ts";
type Typed = Float32Array | Int32Array | Uint8Array;

function view(backend: BackendWasm, t: Info): Typed {
  return backend.typedArrayFromHeap(t) as Typed;
}

/**
 * Tile: repeats `x` `reps[d]` times along each axis d. Built from the
 * innermost axis out: copy one run of `x`, then double it in place with
 * `copyWithin` until the block is repeated `reps[d]` times.
 */
export function tile(original: Original, args: Args): Info {
  return tileOf(original, args) as Info;
}

function tileOf(original: Original, args: Args): Info | Info[] {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const reps = attrs.reps as number[];
  if (x.dtype === "string" || reps.length !== x.shape.length) {
    return original(args);
  }
  const shape = x.shape;
  const rank = shape.length;
  const outShape = shape.map((n, d) => n * reps[d]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const src = view(backend, x);
  const dst = view(backend, out);
  // outBlock[d]: elements of the output spanned by one index of axis d - 1.
  const outBlock = new Array<number>(rank + 1).fill(1);
  for (let d = rank - 1; d >= 0; d--) {
    outBlock[d] = outBlock[d + 1] * outShape[d];
  }
  const inBlock = new Array<number>(rank + 1).fill(1);
  for (let d = rank - 1; d >= 0; d--) inBlock[d] = inBlock[d + 1] * shape[d];

  // Writes the tile of x's sub-block at (axis d, source offset) to `at`.
  const fill = (d: number, from: number, at: number): void => {
    const run = shape[d] * outBlock[d + 1]; // one copy of the input's extent on axis d
    if (d === rank - 1) {
      dst.set(src.subarray(from, from + shape[d]), at);
    } else {
      for (let i = 0; i < shape[d]; i++) {
        fill(d + 1, from + i * inBlock[d + 1], at + i * outBlock[d + 1]);
      }
    }
    // Repeat that run reps[d] times by doubling.
    let done = run;
    const total = run * reps[d];
    while (done < total) {
      const n = Math.min(done, total - done);
      dst.copyWithin(at + done, at, at + n);
      done += n;
    }
  };
  fill(0, 0, 0);
  return out;
}

/**
 * Reverse along one axis (other axes of size 1 do not count) as contiguous
 * run copies, the outer rows balanced between threads; several axes, or
 * non-4-byte types, go to the original kernel.
 */
export function reverse(
  pool: KernelPool,
  original: Original,
  args: Args,
): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const axes = tf.util.parseAxisParam(attrs.dims as number | number[], x.shape)
    .filter((d) => x.shape[d] > 1);
  if ((x.dtype !== "float32" && x.dtype !== "int32") || axes.length !== 1) {
    return original(args) as Info;
  }
  const axis = axes[0];
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
  const n = x.shape[axis];
  const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
  const out = backend.makeOutput(x.shape, x.dtype);
  const xAt = pointer(backend, x);
  const outAt = pointer(backend, out);
  pool.run(
    "reverse_axis",
    outer,
    (begin, end) => [xAt, outAt, n, inner, begin, end],
    outer * n * inner < MIN_THREADED_ELEMENTS ? 1 : pool.threads,
    true,
  );
  return out;
}

/** Below this many elements one thread copies faster than two. */
const MIN_THREADED_ELEMENTS = 1 << 15;

/**
 * FlipImages (`flipImages` of lib/model/_augmentation_ops.ts): a random
 * flip of a batch `[n, h, w, c]` in one pass, image i mirrored top to bottom
 * where `flips[i] & 1`, left to right where `flips[i] & 2`, else copied.
 * 4-byte types run kernels.wasm on all threads, any other type a copy in
 * JavaScript.
 */
export function flipImages(pool: KernelPool, args: Args): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const flips = attrs.flips as number[];
  const [n, h, w, c] = x.shape;
  const out = backend.makeOutput(x.shape, x.dtype);
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    const src = view(backend, x);
    const dst = view(backend, out);
    const row = w * c;
    for (let r = 0; r < n * h; r++) {
      const [b, y] = [Math.floor(r / h), r % h];
      const from = (b * h + (flips[b] & 1 ? h - 1 - y : y)) * row;
      for (let i = 0; i < w; i++) {
        const px = from + (flips[b] & 2 ? w - 1 - i : i) * c;
        dst.set(src.subarray(px, px + c), r * row + i * c);
      }
    }
    return out;
  }
  pool.reset(n);
  const flags = pool.alloc(n);
  pool.f32.set(flips, flags / 4);
  const xAt = pointer(backend, x);
  const outAt = pointer(backend, out);
  pool.run(
    "flip_images",
    n * h,
    (begin, end) => [xAt, flags, h, w, c, outAt, begin, end],
    n * h * w * c < MIN_THREADED_ELEMENTS ? 1 : pool.threads,
    true,
  );
  return out;
}

const FILL_MODES: Record<string, number> = {
  constant: 0,
  reflect: 1,
  wrap: 2,
  nearest: 3,
};

/** Scratch floats per output column of the separable path (kernels/layout.c). */
const SEPARABLE_FLOATS = 18;

/**
 * Whether every 8-number transform is affine with a1 = b0 = 0 (a zoom or a
 * shift, not a rotation): input x then depends on the output column only,
 * and input y on the row only.
 */
function isSeparable(transforms: Float32Array): boolean {
  for (let i = 0; i < transforms.length; i += 8) {
    if (
      transforms[i + 1] !== 0 || transforms[i + 3] !== 0 ||
      transforms[i + 6] !== 0 || transforms[i + 7] !== 0
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Transform (tf.image.transform): projective warps of float32 NHWC images
 * with nearest or bilinear sampling and any fill mode, in place on the tfjs
 * heap, output rows balanced between threads; other dtypes go to the
 * original kernel.
 */
export function transform(
  pool: KernelPool,
  original: Original,
  args: Args,
): Info {
  const { inputs, backend, attrs } = args;
  const { image, transforms } = inputs;
  const interpolation = attrs.interpolation as string;
  const mode = FILL_MODES[attrs.fillMode as string];
  if (
    image.dtype !== "float32" || transforms.dtype !== "float32" ||
    mode === undefined ||
    (interpolation !== "bilinear" && interpolation !== "nearest")
  ) {
    return original(args) as Info;
  }
  const [batch, h, w, c] = image.shape;
  const [oh, ow] = (attrs.outputShape as [number, number] | null) ?? [h, w];
  // Zooms and shifts of RGB images take the kernel's separable path, which
  // needs scratch of its own for each chunk of rows (the pool asks for each
  // chunk's arguments once, before any runs).
  const separable = interpolation === "bilinear" && c === 3 &&
    isSeparable(view(backend, transforms) as Float32Array);
  const chunkFloats = separable ? SEPARABLE_FLOATS * ow : 0;
  pool.reset(2 + pool.maxLists * KernelPool.allocated(chunkFloats));
  const fillAt = pool.alloc(2); // one float64 (kernel arguments are integers)
  new Float64Array(pool.f32.buffer, fillAt, 1)[0] =
    (attrs.fillValue as number) ?? 0;
  const out = backend.makeOutput([batch, oh, ow, c], "float32");
  const imageAt = pointer(backend, image);
  const transformsAt = pointer(backend, transforms);
  const outAt = pointer(backend, out);
  pool.run(
    "transform",
    batch * oh,
    (begin, end) => [
      imageAt,
      transformsAt,
      transforms.shape[0] === 1 ? 0 : 1,
      outAt,
      h,
      w,
      c,
      oh,
      ow,
      interpolation === "bilinear" ? 1 : 0,
      mode,
      fillAt,
      begin,
      end,
      separable ? pool.alloc(chunkFloats) : 0,
    ],
    pool.threads,
    true,
  );
  return out;
}

/**
 * Identity without a copy: the output shares the input's data, with the
 * wasm backend's reference count raised (the cpu backend does the same), so
 * the data lives until both tensors are disposed. tfjs-layers emits one per
 * layer output, a full-size copy each on the original kernel.
 */
export function identity(original: Original, args: Args): Info {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (!shareData(backend, x)) return original(args) as Info;
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
