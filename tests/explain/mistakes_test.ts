import assert from "node:assert/strict";
import {
  confidentMistakes,
  mostConfusedPair,
} from "../../lib/explain/mistakes.ts";
import type { PhotoPrediction } from "../../lib/train/predict_dataset.ts";

const row = (
  index: number,
  label: number,
  predicted: number,
  confidence: number,
): PhotoPrediction => ({
  index,
  label,
  predicted,
  confidence,
  trueProbability: 0,
  loss: 0,
});

Deno.test("confidentMistakes() lists only wrong answers, most confident first, at most count", () => {
  const rows = [
    row(0, 0, 1, 0.5),
    row(1, 2, 2, 0.99),
    row(2, 1, 0, 0.9),
    row(3, 0, 2, 0.7),
  ];
  assert.deepEqual(confidentMistakes(rows, 2).map((r) => r.index), [2, 3]);
  assert.deepEqual(confidentMistakes(rows, 10).map((r) => r.index), [2, 3, 0]);
  assert.deepEqual(confidentMistakes([row(0, 1, 1, 0.9)], 3), []);
});

Deno.test("confidentMistakes() names a bad count", () => {
  assert.throws(() => confidentMistakes([], 1.5), {
    name: "RangeError",
    message:
      "Cannot list mistakes: count must be a non-negative integer, received 1.5",
  });
});

Deno.test("mostConfusedPair() adds both directions and names the larger first", () => {
  // 0↔2: 2 + 3 = 5 beats 1→0: 4.
  const confusion = [[9, 0, 2], [4, 9, 0], [3, 0, 9]];
  assert.deepEqual(mostConfusedPair(confusion), {
    a: 2,
    b: 0,
    aAsB: 3,
    bAsA: 2,
    total: 5,
  });
});

Deno.test("mostConfusedPair() is undefined without mistakes and names a bad matrix", () => {
  assert.equal(mostConfusedPair([[3, 0], [0, 4]]), undefined);
  assert.throws(() => mostConfusedPair([[1, 2], [3]]), {
    name: "RangeError",
    message:
      "Cannot find the most confused pair: confusion must be a square matrix of at least 2×2, received 2 rows of 2, 1",
  });
});
