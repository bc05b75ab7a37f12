// Same seed, same bits, end to end: `deno task flowers` trained twice with
// the same flags writes byte-identical weights and the same history, whether
// it runs on 1 or 2 threads, beside a busy loop, or is killed and resumed.

import assert from "node:assert/strict";
import { makeColourDataset, runScript } from "./_cli.ts";

const FLOWERS = new URL("../../lib/cli/flowers.ts", import.meta.url).pathname;

/** The trained weights and the history (without timings) of a run in `out`. */
async function result(out: string): Promise<[Uint8Array, unknown]> {
  const weights = await Deno.readFile(`${out}/model/weights.bin`);
  const metrics = JSON.parse(await Deno.readTextFile(`${out}/metrics.json`));
  delete metrics.history.seconds;
  return [weights, metrics.history];
}

/** Asserts runs `a` and `b` ended with the same weights and history. */
async function assertSameRun(a: string, b: string, what: string) {
  const [wa, ha] = await result(a);
  const [wb, hb] = await result(b);
  assert.ok(
    wa.length === wb.length && wa.every((byte, i) => byte === wb[i]),
    `${what}: the weights differ`,
  );
  assert.deepEqual(hb, ha, `${what}: the histories differ`);
}

Deno.test("flowers gives byte-identical weights on 1 and 2 threads, beside a busy loop, and after a kill and --resume", async () => {
  const root = await Deno.makeTempDir();
  const env = { CNN_DATA_DIR: `${root}/cache` };
  await makeColourDataset(`${root}/images`, 40, 5);
  const args = (out: string) => [
    "--quick",
    "--data",
    `${root}/images`,
    "--epochs",
    "3",
    "--seed",
    "9",
    "--out",
    `${root}/${out}`,
  ];
  const flowers = async (out: string, ...extra: string[]) => {
    const run = await runScript(FLOWERS, [...args(out), ...extra], env);
    assert.equal(run.code, 0, run.stderr);
    return run;
  };

  const two = await flowers("two", "--threads", "2");
  assert.match(two.stdout, /, 2 threads, /);
  const one = await flowers("one", "--threads", "1");
  assert.match(one.stdout, /, 1 thread, /);
  await assertSameRun(`${root}/two`, `${root}/one`, "1 vs 2 threads");

  const busy = new Deno.Command(Deno.execPath(), {
    args: ["eval", "while (true) {}"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await flowers("loaded", "--threads", "2");
  } finally {
    busy.kill();
    await busy.status;
  }
  await assertSameRun(`${root}/two`, `${root}/loaded`, "beside a busy loop");

  // Killed once epoch 1's checkpoint is written, then resumed.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FLOWERS, ...args("resumed")],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = child.status.then(() => exited = true);
  const epoch1 = `${root}/resumed/checkpoint/epoch-0001/checkpoint.json`;
  while (!exited) {
    try {
      await Deno.stat(epoch1);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  assert.ok(!exited, "the run ended before its checkpoint of epoch 1 appeared");
  child.kill("SIGKILL");
  await status;
  const resumed = await flowers("resumed", "--resume");
  assert.match(resumed.stdout, /Resuming from epoch [12] of 3/);
  await assertSameRun(`${root}/two`, `${root}/resumed`, "killed and resumed");
  await Deno.remove(root, { recursive: true });
});
