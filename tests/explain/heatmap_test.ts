import assert from "node:assert/strict";
import { heatInside, heatmapCorrelation } from "../../lib/explain/heatmap.ts";

const map = {
  height: 2,
  width: 3,
  data: new Float32Array([1, 1, 0, 0, 0, 2]),
  classIndex: 0,
};

Deno.test("heatInside() is the share of the total heat inside the region", () => {
  assert.equal(heatInside(map, [0, 0, 1, 2]), 0.5);
  assert.equal(heatInside(map, [0, 0, 2, 3]), 1);
  assert.equal(heatInside(map, [1, 0, 1, 2]), 0);
});

Deno.test("heatInside() of an all-zero map is 0", () => {
  const cold = { ...map, data: new Float32Array(6) };
  assert.equal(heatInside(cold, [0, 0, 2, 3]), 0);
});

Deno.test("heatInside() names a region outside the map", () => {
  assert.throws(() => heatInside(map, [1, 1, 2, 2]), {
    name: "RangeError",
    message:
      "Cannot measure heat: region must lie inside the 2×3 map, received [1,1,2,2]",
  });
});

Deno.test("heatmapCorrelation() is 1 for the same picture at another scale, near 0 for unrelated maps", () => {
  const scaled = { ...map, data: map.data.map((v) => 0.5 * v + 0.1) };
  assert.ok(Math.abs(heatmapCorrelation(map, scaled) - 1) < 1e-6);
  const flat = { ...map, data: new Float32Array(6).fill(0.3) };
  assert.equal(heatmapCorrelation(map, flat), 0);
  // [1, 1, 0, 0, 0, 2] against [0, 0, 1, 1, 0, 0]: below zero (heat in other places).
  const other = { ...map, data: new Float32Array([0, 0, 1, 1, 0, 0]) };
  assert.ok(heatmapCorrelation(map, other) < 0);
});

Deno.test("heatmapCorrelation() names maps of different sizes", () => {
  const small = {
    height: 1,
    width: 2,
    data: new Float32Array(2),
    classIndex: 0,
  };
  assert.throws(() => heatmapCorrelation(map, small), {
    name: "RangeError",
    message:
      "Cannot correlate heatmaps: both must have the same size, received 2×3 and 1×2",
  });
});
