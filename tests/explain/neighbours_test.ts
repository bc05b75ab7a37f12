import assert from "node:assert/strict";
import { nearestNeighbourClasses } from "../../lib/explain/neighbours.ts";

Deno.test("nearestNeighbourClasses() counts the class of each vector's nearest other vector", () => {
  // Class 2 sits between 0 and 1; its points are each other's neighbours, except one.
  const vectors = [[0], [1], [10], [12], [5], [5.2], [9]];
  const labels = [0, 0, 1, 1, 2, 2, 2];
  const { counts, agreement } = nearestNeighbourClasses(vectors, labels, 3);
  assert.deepEqual(counts, [[2, 0, 0], [0, 1, 1], [0, 1, 2]]);
  assert.deepEqual(agreement, [1, 0.5, 2 / 3]);
});

Deno.test("nearestNeighbourClasses() gives NaN agreement for a class without vectors", () => {
  const { agreement } = nearestNeighbourClasses([[0], [1]], [0, 0], 2);
  assert.deepEqual(agreement, [1, NaN]);
});

Deno.test("nearestNeighbourClasses() names a label out of range and a length mismatch", () => {
  assert.throws(() => nearestNeighbourClasses([[0], [1]], [0, 3], 2), {
    name: "RangeError",
    message:
      "Cannot find nearest neighbours: labels must be integers in [0, 2), received 3 at index 1",
  });
  assert.throws(() => nearestNeighbourClasses([[0], [1]], [0], 2), {
    name: "RangeError",
    message:
      "Cannot find nearest neighbours: need at least 2 vectors and one label each, received 2 vectors and 1 labels",
  });
});
