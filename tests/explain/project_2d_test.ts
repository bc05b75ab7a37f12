import assert from "node:assert/strict";
import { projectPca } from "../../lib/explain/project_2d.ts";
import { mulberry32 } from "../../lib/util/random.ts";

/** Points spread 10× more along (1, 1, 0, 0) than along (0, 0, 1, 0), plus a little noise. */
function cloud(n: number, seed: number): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const [a, b, e] = [random() - 0.5, random() - 0.5, random() - 0.5];
    return [10 * a, 10 * a, b, 0.01 * e];
  });
}

Deno.test("projectPca() finds the directions of largest spread", () => {
  const data = cloud(200, 1);
  const { points, explained } = projectPca(data);
  assert.ok(explained[0] > 0.98, `${explained}`);
  assert.ok(explained[1] > 0.003 && explained[1] < 0.01, `${explained}`);
  // The first coordinate is the projection on (1, 1, 0, 0)/√2, up to sign (fixed positive).
  for (let i = 0; i < 5; i++) {
    const want = (data[i][0] + data[i][1]) / Math.SQRT2;
    const mean = data.reduce((s, v) => s + (v[0] + v[1]) / Math.SQRT2, 0) /
      data.length;
    assert.ok(Math.abs(points[i][0] - (want - mean)) < 1e-3);
  }
});

Deno.test("projectPca() is deterministic for a seed and the same picture for any seed", () => {
  const data = cloud(50, 2);
  const a = projectPca(data, { seed: 7 });
  const b = projectPca(data, { seed: 7 });
  const c = projectPca(data, { seed: 8 });
  assert.deepEqual(a, b);
  for (let i = 0; i < data.length; i++) {
    assert.ok(Math.abs(a.points[i][0] - c.points[i][0]) < 1e-6);
    assert.ok(Math.abs(a.points[i][1] - c.points[i][1]) < 1e-6);
  }
});

Deno.test("projectPca() names too few vectors and a length mismatch", () => {
  assert.throws(() => projectPca([[1, 2]]), {
    name: "RangeError",
    message: "Cannot project vectors: need at least 2 vectors, received 1",
  });
  assert.throws(() => projectPca([[1, 2], [1, 2, 3]]), {
    name: "RangeError",
    message:
      "Cannot project vectors: every vector must have 2 values like the first, received 3 at index 1",
  });
});
