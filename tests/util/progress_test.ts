import assert from "node:assert/strict";
import { ProgressBar } from "../../lib/util/progress.ts";

Deno.test("ProgressBar.update() in plain mode prints at most one line per 10 %", () => {
  const lines: string[] = [];
  let now = 0;
  const bar = new ProgressBar(1000, {
    label: "Decoding",
    unit: "files",
    mode: "plain",
    write: (t) => lines.push(t),
    now: () => now,
  });
  for (let i = 1; i <= 1000; i++) {
    now += 2;
    bar.update(i);
  }
  bar.done();
  // One line when it starts, one per further 10 %, one at the end.
  assert.equal(lines.length, 11);
  assert.ok(lines.every((l) => l.endsWith("\n")));
  assert.equal(lines[1], "Decoding 100/1000 files 500 files/s ETA 1.8s\n");
  assert.equal(lines.at(-1), "Decoding 1000/1000 files 500 files/s in 2.0s\n");
});

Deno.test("ProgressBar.update() in tty mode redraws one line with \\r, throttled", () => {
  const out: string[] = [];
  let now = 0;
  const bar = new ProgressBar(4, {
    label: "Epoch 1",
    width: 4,
    mode: "tty",
    write: (t) => out.push(t),
    now: () => now,
  });
  now = 1000;
  bar.update(2, "loss 0.5");
  bar.update(3); // within 250 ms of the last draw: skipped
  now = 2000;
  bar.done("acc 0.9");
  assert.deepEqual(out, [
    "\rEpoch 1 [=>  ] 2/4 2/s ETA 1.0s loss 0.5\x1b[K",
    "\rEpoch 1 [====] 4/4 2/s in 2.0s acc 0.9\x1b[K\n",
  ]);
});

Deno.test("ProgressBar.render() formats bytes in binary units", () => {
  let now = 0;
  const bar = new ProgressBar(2 * 2 ** 20, {
    label: "Downloading",
    unit: "B",
    mode: "plain",
    write: () => {},
    now: () => now,
  });
  now = 1000;
  bar.update(2 ** 20);
  assert.equal(bar.render(), "Downloading 1 MiB/2 MiB 1 MiB/s ETA 1.0s");
  now = 4000;
  bar.update(1_500_000);
  assert.equal(
    bar.render(),
    "Downloading 1.43 MiB/2 MiB 366 KiB/s ETA 1.6s",
  );
});

Deno.test("ProgressBar.done() rounds the elapsed time before splitting it", () => {
  const lines: string[] = [];
  let now = 0;
  const bar = new ProgressBar(10, {
    label: "Decoding",
    mode: "plain",
    write: (t) => lines.push(t),
    now: () => now,
  });
  now = 119_600;
  bar.done();
  assert.equal(lines.at(-1), "Decoding 10/10 12s each in 2m00s\n");
});

Deno.test("ProgressBar() rejects a bad width", () => {
  assert.throws(
    () => new ProgressBar(10, { width: 0 }),
    new RangeError(
      "Cannot create progress bar: width must be a positive integer, received 0",
    ),
  );
});

Deno.test("ProgressBar gives the time of one item when fewer than one finish per second", () => {
  let now = 0;
  const lines: string[] = [];
  const bar = new ProgressBar(4, {
    label: "Runs",
    unit: "runs",
    mode: "plain",
    write: (t) => lines.push(t),
    now: () => now,
  });
  now = 114_000;
  bar.update(2);
  assert.equal(bar.render(), "Runs 2/4 runs 57s each ETA 1m54s");
});
