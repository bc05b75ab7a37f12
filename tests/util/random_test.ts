import assert from "node:assert/strict";
import { mulberry32, seededPermutation } from "../../lib/util/random.ts";

Deno.test("mulberry32() repeats for a seed, differs across seeds, stays in [0, 1)", () => {
  const a = mulberry32(123);
  const b = mulberry32(123);
  const c = mulberry32(124);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => c()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
});

Deno.test("seededPermutation() is a permutation that depends on the seed", () => {
  const p = seededPermutation(100, 7);
  assert.deepEqual([...p].sort((x, y) => x - y), [...Array(100).keys()]);
  assert.deepEqual(p, seededPermutation(100, 7));
  assert.notDeepEqual(p, seededPermutation(100, 8));
});
