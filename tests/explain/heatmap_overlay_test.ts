import assert from "node:assert/strict";
import {
  HEATMAP_COLORS,
  heatmapColors,
  heatmapOverlay,
} from "../../lib/explain/heatmap_overlay.ts";

function photoOf(h: number, w: number): Uint8Array {
  return Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 97) % 256);
}

Deno.test("heatmapOverlay() returns an RGB image the photo's size, every value in 0-255", () => {
  const [h, w] = [7, 5];
  // Heat values outside [0, 1] and NaN are clamped, not wrapped.
  const data = Float32Array.from(
    { length: h * w },
    (_, i) => (i % 7) / 3 - 0.5,
  );
  data[3] = NaN;
  const out = heatmapOverlay(photoOf(h, w), {
    height: h,
    width: w,
    data,
    classIndex: 0,
  }, {
    alpha: 1,
  });
  assert.ok(out instanceof Uint8Array);
  assert.equal(out.length, h * w * 3);
  assert.ok(out.every((v) => v >= 0 && v <= 255));
});

Deno.test("heatmapOverlay() with alpha 1 shows the scale's colours, with alpha 0 the photo", () => {
  const photo = photoOf(1, 2);
  const heat = {
    height: 1,
    width: 2,
    data: new Float32Array([1, 0]),
    classIndex: 0,
  };
  assert.deepEqual(
    heatmapOverlay(photo, heat, { alpha: 1 }),
    heatmapColors(heat),
  );
  assert.deepEqual(heatmapOverlay(photo, heat, { alpha: 0 }), photo);
  // Half way: the mean of the two, rounded.
  const half = heatmapOverlay(photo, heat, { alpha: 0.5 });
  const colors = heatmapColors(heat);
  for (let i = 0; i < 6; i++) {
    assert.ok(Math.abs(half[i] - (photo[i] + colors[i]) / 2) <= 1);
  }
});

Deno.test("heatmapColors() grows brighter with the heat", () => {
  const data = Float32Array.from({ length: 11 }, (_, i) => i / 10);
  const rgb = heatmapColors({ height: 1, width: 11, data, classIndex: 0 });
  const brightness = Array.from(
    { length: 11 },
    (_, i) => rgb[3 * i] + rgb[3 * i + 1] + rgb[3 * i + 2],
  );
  for (let i = 1; i < 11; i++) {
    assert.ok(brightness[i] > brightness[i - 1], `${brightness}`);
  }
});

Deno.test("heatmapOverlay() names a size mismatch and a bad alpha", () => {
  const heat = {
    height: 2,
    width: 2,
    data: new Float32Array(4),
    classIndex: 0,
  };
  assert.throws(() => heatmapOverlay(new Uint8Array(10), heat), {
    name: "RangeError",
    message:
      "Cannot overlay heatmap: image must have 2·2·3 = 12 RGB values to match the 2×2 heatmap, received 10",
  });
  assert.throws(() => heatmapOverlay(new Uint8Array(12), heat, { alpha: 2 }), {
    name: "RangeError",
    message: "Cannot overlay heatmap: alpha must be in [0, 1], received 2",
  });
});

Deno.test("HEATMAP_COLORS are the colours heatmapColors gives 0, 0.25, 0.5, 0.75 and 1", () => {
  const values = [0, 0.25, 0.5, 0.75, 1];
  const rgb = heatmapColors({
    height: 1,
    width: 5,
    data: Float32Array.from(values),
    classIndex: 0,
  });
  const css = values.map((_, i) =>
    `#${
      Array.from(rgb.slice(3 * i, 3 * i + 3)).map((v) =>
        v.toString(16).padStart(2, "0")
      ).join("")
    }`
  );
  assert.deepEqual(css, [...HEATMAP_COLORS]);
});
