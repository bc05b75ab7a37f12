/**
 * Two whole-batch steps of the augmentation layers, each defined once here
 * by stock tfjs ops and, where the active backend registers a kernel of the
 * same name (the fast CPU backend does, `lib/fast/`), run as that one
 * kernel: one pass over the batch instead of one per op (a flip is Reverse,
 * Tile and Select; a contrast change Sub, Mul, Add and ClipByValue). The
 * kernel must give the ops' results bit for bit
 * (`tests/fast/augmentation_ops_test.ts` checks it); every other backend
 * runs the ops.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Kernel name of {@linkcode flipImages}; inputs x, attr `flips`. */
export const FLIP_IMAGES = "FlipImages";
/** Kernel name of {@linkcode colorMap}; inputs x, sub, mul, add; attrs low, high. */
export const COLOR_MAP = "ColorMap";

/** A bit of {@linkcode flipImages}' per-image flags: mirror top to bottom. */
export const FLIP_HEIGHT = 1;
/** A bit of {@linkcode flipImages}' per-image flags: mirror left to right. */
export const FLIP_WIDTH = 2;

/** Whether the active backend registers `kernel`. */
function hasKernel(kernel: string): boolean {
  return tf.getKernel(kernel, tf.getBackend()) != null;
}

/**
 * Mirrors each image of a batch as its flags say: image i is reversed along
 * its height where `flips[i] & FLIP_HEIGHT`, along its width where
 * `flips[i] & FLIP_WIDTH`; other images are copied.
 *
 * @param batch Images `[batch, height, width, channels]`.
 * @param flips One flag set per image.
 * @returns The mirrored batch, a new tensor.
 */
export function flipImages(batch: tf.Tensor4D, flips: number[]): tf.Tensor4D {
  if (hasKernel(FLIP_IMAGES)) {
    return tf.engine().runKernel(FLIP_IMAGES, { x: batch }, {
      flips,
    }) as tf.Tensor4D;
  }
  const n = batch.shape[0];
  return tf.tidy(() => {
    let out: tf.Tensor4D = batch.clone();
    for (const [bit, axis] of [[FLIP_WIDTH, 2], [FLIP_HEIGHT, 1]]) {
      if (!flips.some((f) => f & bit)) continue;
      // Mirror the whole batch, then keep the mirrored copy only for the
      // images whose flag is set: where(mask, flipped, original).
      const mask = tf.tensor4d(
        flips.map((f) => f & bit ? 1 : 0),
        [n, 1, 1, 1],
        "bool",
      );
      out = tf.where(
        tf.broadcastTo(mask, out.shape),
        tf.reverse(out, axis),
        out,
      );
    }
    return out;
  });
}

/**
 * clip(((x - sub) * mul) + add, low, high) for float32 images, each step
 * rounded to float32 as tfjs' Sub, Mul, Add and ClipByValue round it; `sub`
 * and `add` hold one value per image and channel (`[batch, 1, 1, channels]`)
 * or per image (`[batch, 1, 1, 1]`), `mul` one per image. A missing operand
 * skips its step.
 *
 * @param x Images `[batch, height, width, channels]`, float32.
 * @param operands `sub`, `mul` and `add`, each optional.
 * @param range `[low, high]` the result is clipped to.
 * @returns The mapped images, a new tensor.
 */
export function colorMap(
  x: tf.Tensor4D,
  operands: { sub?: tf.Tensor4D; mul?: tf.Tensor4D; add?: tf.Tensor4D },
  [low, high]: [number, number],
): tf.Tensor4D {
  const { sub, mul, add } = operands;
  if (hasKernel(COLOR_MAP)) {
    const inputs: tf.NamedTensorMap = { x };
    if (sub != null) inputs.sub = sub;
    if (mul != null) inputs.mul = mul;
    if (add != null) inputs.add = add;
    return tf.engine().runKernel(COLOR_MAP, inputs, {
      low,
      high,
    }) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    let y: tf.Tensor4D = x;
    if (sub != null) y = tf.sub(y, sub);
    if (mul != null) y = tf.mul(y, mul);
    if (add != null) y = tf.add(y, add);
    return tf.clipByValue(y, low, high);
  });
}
