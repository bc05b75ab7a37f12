import assert from "node:assert/strict";
import { projectUmap } from "../../lib/explain/project_umap.ts";
import { nearestNeighbourClasses } from "../../lib/explain/neighbours.ts";
import { mulberry32 } from "../../lib/util/random.ts";

/** Three seeded clusters in 16-D around different centres. */
function clusters(
  perCluster: number,
  seed: number,
): { vectors: number[][]; labels: number[] } {
  const random = mulberry32(seed);
  const vectors: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < perCluster; i++) {
      vectors.push(
        Array.from({ length: 16 }, (_, j) => (j % 3 === c ? 10 : 0) + random()),
      );
      labels.push(c);
    }
  }
  return { vectors, labels };
}

Deno.test("projectUmap() is deterministic for a seed", () => {
  const { vectors } = clusters(12, 1);
  const a = projectUmap(vectors, { seed: 4 });
  const b = projectUmap(vectors, { seed: 4 });
  const c = projectUmap(vectors, { seed: 5 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.length, vectors.length);
  assert.ok(a.every((p) => p.length === 2 && p.every(Number.isFinite)));
});

Deno.test("projectUmap() keeps clusters together in 2-D", () => {
  const { vectors, labels } = clusters(12, 2);
  const points = projectUmap(vectors, { seed: 1, neighbours: 8 });
  const { agreement } = nearestNeighbourClasses(points, labels, 3);
  assert.deepEqual(agreement, [1, 1, 1]);
});

Deno.test("projectUmap() names too few vectors, a bad neighbour count and a length mismatch", () => {
  assert.throws(() => projectUmap([[1], [2]]), {
    name: "RangeError",
    message:
      "Cannot project vectors with UMAP: need at least 3 vectors, received 2",
  });
  assert.throws(() => projectUmap([[1], [2], [3]], { neighbours: 1 }), {
    name: "RangeError",
    message:
      "Cannot project vectors with UMAP: neighbours must be an integer >= 2, received 1",
  });
  assert.throws(() => projectUmap([[1], [2], [3, 4]]), {
    name: "RangeError",
    message:
      "Cannot project vectors with UMAP: every vector must have 1 values like the first, received 2 at index 2",
  });
});
