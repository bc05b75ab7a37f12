import assert from "node:assert/strict";
import { RandomState } from "../../lib/dataset/_numpy_random.ts";

/** Reference outputs written by tools/numpy_shuffle_reference.py with numpy. */
interface Reference {
  draws: { seed: number; positions: number[]; values: number[] }[];
  shuffles: {
    seed: number;
    length: number;
    permutation?: number[];
    head?: number[];
    tail?: number[];
    sha256?: string;
  }[];
}

const reference: Reference = JSON.parse(
  await Deno.readTextFile(
    new URL("./testdata/numpy_shuffle.json", import.meta.url),
  ),
);

/** SHA-256 of a permutation as little-endian int32 bytes, as the script hashes it. */
async function sha256(order: Int32Array): Promise<string> {
  const bytes = new Uint8Array(order.length * 4);
  const view = new DataView(bytes.buffer);
  order.forEach((v, i) => view.setInt32(i * 4, v, true));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("RandomState.nextUint32() gives numpy's raw MT19937 draws", () => {
  for (const { seed, positions, values } of reference.draws) {
    const rng = new RandomState(seed);
    const draws = Array.from(
      { length: Math.max(...positions) + 1 },
      () => rng.nextUint32(),
    );
    assert.deepEqual(positions.map((p) => draws[p]), values, `seed ${seed}`);
  }
});

Deno.test("RandomState.permutation() gives numpy's shuffles of short lists", () => {
  const short = reference.shuffles.filter((s) => s.permutation);
  assert.ok(short.length >= 16);
  for (const { seed, length, permutation } of short) {
    assert.deepEqual(
      Array.from(new RandomState(seed).permutation(length)),
      permutation,
      `seed ${seed}, length ${length}`,
    );
  }
});

Deno.test("RandomState.permutation() gives numpy's shuffles of lists longer than 2^16", async () => {
  const long = reference.shuffles.filter((s) => s.sha256);
  assert.ok(long.some((s) => s.length > 2 ** 16));
  for (const { seed, length, head, tail, sha256: hash } of long) {
    const order = new RandomState(seed).permutation(length);
    const where = `seed ${seed}, length ${length}`;
    assert.deepEqual(Array.from(order.subarray(0, head!.length)), head, where);
    assert.deepEqual(Array.from(order.subarray(-tail!.length)), tail, where);
    assert.equal(await sha256(order), hash, where);
  }
});

Deno.test("RandomState.shuffle() reorders a list as permutation() orders indices", () => {
  const names = Array.from({ length: 50 }, (_, i) => `file${i}.jpg`);
  new RandomState(123).shuffle(names);
  const order = new RandomState(123).permutation(50);
  assert.deepEqual(names, Array.from(order, (i) => `file${i}.jpg`));
});

Deno.test("RandomState.randomInterval() stays within [0, max]", () => {
  const rng = new RandomState(0);
  for (const max of [0, 1, 2, 5, 255, 256, 2 ** 31, 2 ** 32 - 1]) {
    for (let k = 0; k < 100; k++) {
      const v = rng.randomInterval(max);
      assert.ok(Number.isInteger(v) && v >= 0 && v <= max, `${v} > ${max}`);
    }
  }
});

Deno.test("RandomState() rejects seeds numpy rejects", () => {
  for (const seed of [-1, 2 ** 32, 1.5, NaN]) {
    assert.throws(() => new RandomState(seed), {
      name: "RangeError",
      message:
        `Cannot seed RandomState: seed must be an integer in [0, 2^32 - 1] as in numpy, received ${seed}`,
    });
  }
  assert.equal(new RandomState(2 ** 32 - 1).nextUint32() >= 0, true);
});

Deno.test("RandomState.randomInterval() rejects a max outside 32 bits", () => {
  assert.throws(() => new RandomState(0).randomInterval(2 ** 32), {
    name: "RangeError",
    message:
      "Cannot draw an integer: max must be an integer in [0, 2^32 - 1], received 4294967296",
  });
});

Deno.test("RandomState.permutation() rejects a negative length", () => {
  assert.throws(() => new RandomState(0).permutation(-1), {
    name: "RangeError",
    message: "Cannot permute: n must be a non-negative integer, received -1",
  });
});
