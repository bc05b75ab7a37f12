import assert from "node:assert/strict";
import { mcnemarTest } from "../../lib/train/mcnemar.ts";
import { accuracyStandardError } from "../../lib/train/accuracy_noise.ts";

/** Binomial(m, 1/2) two-sided tail by direct summation (exact for small m). */
function referenceP(k: number, m: number): number {
  let choose = 1;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    tail += choose / 2 ** m;
    choose = choose * (m - i) / (i + 1);
  }
  return Math.min(1, 2 * tail);
}

/** Labels and two prediction lists with the given counts of each kind of photo. */
function photos(both: number, onlyA: number, onlyB: number, neither: number) {
  const labels: number[] = [], a: number[] = [], b: number[] = [];
  const add = (count: number, aRight: boolean, bRight: boolean) => {
    for (let i = 0; i < count; i++) {
      labels.push(2);
      a.push(aRight ? 2 : 0);
      b.push(bRight ? 2 : 1);
    }
  };
  add(both, true, true);
  add(onlyA, true, false);
  add(onlyB, false, true);
  add(neither, false, false);
  return { labels, a, b };
}

Deno.test("mcnemarTest() counts the four kinds of photo and the accuracies", () => {
  const { labels, a, b } = photos(50, 7, 19, 24);
  const r = mcnemarTest(labels, a, b);
  assert.deepEqual([r.n, r.both, r.onlyA, r.onlyB, r.neither], [
    100,
    50,
    7,
    19,
    24,
  ]);
  assert.equal(r.accuracyA, 0.57);
  assert.equal(r.accuracyB, 0.69);
  assert.ok(Math.abs(r.difference - 0.12) < 1e-12);
});

Deno.test("mcnemarTest() gives the exact binomial p-value of the disagreements", () => {
  for (const [onlyA, onlyB] of [[7, 19], [19, 7], [0, 6], [3, 3], [10, 11]]) {
    const { labels, a, b } = photos(40, onlyA, onlyB, 5);
    const { pValue } = mcnemarTest(labels, a, b);
    const expected = referenceP(Math.min(onlyA, onlyB), onlyA + onlyB);
    assert.ok(
      Math.abs(pValue - expected) < 1e-12,
      `${onlyA}/${onlyB}: ${pValue} vs ${expected}`,
    );
  }
  // 7 against 19: p = 0.0290 (R: binom.test(7, 26)$p.value = 0.02896).
  const { labels, a, b } = photos(0, 7, 19, 0);
  assert.equal(mcnemarTest(labels, a, b).pValue.toFixed(5), "0.02896");
  // Models that never disagree: nothing to tell them apart.
  const same = photos(30, 0, 0, 10);
  assert.equal(mcnemarTest(same.labels, same.a, same.b).pValue, 1);
});

Deno.test("mcnemarTest() stays finite and small for hundreds of one-sided disagreements", () => {
  const { labels, a, b } = photos(0, 100, 1100, 0);
  const { pValue } = mcnemarTest(labels, a, b);
  assert.ok(pValue >= 0 && pValue < 1e-100, String(pValue));
  const even = photos(0, 600, 600, 0);
  assert.equal(mcnemarTest(even.labels, even.a, even.b).pValue, 1);
});

Deno.test("mcnemarTest()'s paired standard error is below the unpaired one when the photos' difficulty is shared", () => {
  // Both models get the same 60 photos right; B also gets 12 more.
  const { labels, a, b } = photos(60, 0, 12, 28);
  const r = mcnemarTest(labels, a, b);
  const d = r.difference;
  assert.ok(
    Math.abs(r.standardError - Math.sqrt((12 / 100 - d * d) / 100)) < 1e-12,
  );
  const unpaired = Math.hypot(
    accuracyStandardError(r.accuracyA, 100),
    accuracyStandardError(r.accuracyB, 100),
  );
  assert.ok(
    r.standardError < unpaired / 2,
    `${r.standardError} vs ${unpaired}`,
  );
});

Deno.test("mcnemarTest() refuses lists of different lengths or no photos", () => {
  assert.throws(() => mcnemarTest([0, 1], [0, 1], [0]), {
    name: "RangeError",
    message:
      "Cannot compare predictions: both lists must have one prediction per label (2), received 2 and 1",
  });
  assert.throws(() => mcnemarTest([], [], []), {
    name: "RangeError",
    message:
      "Cannot compare predictions: there must be at least one photo, received 0",
  });
});
