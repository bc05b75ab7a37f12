import assert from "node:assert/strict";
import { heatInside } from "../../lib/explain/heatmap.ts";

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
