import assert from "node:assert/strict";
import { makeColourDataset, runScript } from "./_cli.ts";

const FLOWERS = new URL("../../lib/cli/flowers.ts", import.meta.url).pathname;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("flowers --resume continues a run killed after epoch 2 from its checkpoint", async () => {
  const root = await Deno.makeTempDir();
  const env = { CNN_DATA_DIR: `${root}/cache` };
  await makeColourDataset(`${root}/images`, 50, 11);
  const out = `${root}/out`;
  const args = [
    "--quick",
    "--data",
    `${root}/images`,
    "--epochs",
    "3",
    "--out",
    out,
  ];
  const flowers = (...extra: string[]) =>
    runScript(FLOWERS, [...args, ...extra], env);

  // Kill the run (SIGKILL: no chance to clean up) once epoch 2's checkpoint is in place.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FLOWERS, ...args],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const epoch2 = `${out}/checkpoint/epoch-0002/checkpoint.json`;
  while (!exited && !(await exists(epoch2))) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(!exited, "the run ended before its checkpoint of epoch 2 appeared");
  child.kill("SIGKILL");
  assert.equal((await status).signal, "SIGKILL");
  assert.ok(
    !(await exists(`${out}/checkpoint/epoch-0003`)),
    "the run reached epoch 3 before it could be killed",
  );
  assert.ok(!(await exists(`${out}/metrics.json`)));

  // Without --resume the stopped run is not overwritten.
  const refused = await flowers();
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    new RegExp(
      `Error: Cannot start training: ${out}/checkpoint holds a stopped run \\(epoch 2 of 3\\); run again with --resume to continue it or --fresh to start over, received neither`,
    ),
  );

  const resumed = await flowers("--resume");
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /\nResuming from epoch 2 of 3\n/);
  assert.match(resumed.stdout, /\nEpoch 3\/3 /);
  assert.doesNotMatch(resumed.stdout, /Epoch [12]\/3/);
  assert.match(resumed.stdout, /Final validation accuracy: \d\.\d{4}/);
  const metrics = JSON.parse(await Deno.readTextFile(`${out}/metrics.json`));
  assert.equal(metrics.history.loss.length, 3);

  // Other flags than the checkpoint's: a clear error, not a silent restart.
  const mismatch = await flowers("--resume", "--seed", "7");
  assert.equal(mismatch.code, 1);
  assert.match(
    mismatch.stderr,
    new RegExp(
      `Error: Cannot resume training: the checkpoint in ${out}/checkpoint comes from a different run; run with --fresh \\(or delete ${out}/checkpoint\\) to start over, received .*data\\.train\\.seed: 123 in the checkpoint, 7 now`,
    ),
  );
  await Deno.remove(root, { recursive: true });
});
