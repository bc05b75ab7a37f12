// Stop (SIGINT) during training, as Jupyter's Stop button sends it to Deno's
// kernel: testdata/resume_run.ts sends itself SIGINT after step 2 of an
// epoch, reports what held afterwards, then trains again to the end as a
// learner re-running the cell would. Each run is a subprocess, so the signal
// never reaches the other tests.
import assert from "node:assert/strict";

const RUN = new URL("./testdata/resume_run.ts", import.meta.url).pathname;
/** A hang (a reading thread left running keeps the process alive) fails here. */
const TIMEOUT_MS = 120_000;

async function run(args: string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RUN, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).output();
  const text = new TextDecoder().decode(output.stdout) +
    new TextDecoder().decode(output.stderr);
  assert.equal(output.signal, null, `killed (a hang?):\n${text}`);
  assert.equal(output.code, 0, text);
  return text;
}

/** The uninterrupted run and the interrupted-then-re-run one, with its report. */
async function interruptAndRerun(epoch: number, extra: string[] = []) {
  const root = await Deno.makeTempDir();
  try {
    const common = ["--epochs", "3", ...extra];
    await run(["--dir", `${root}/a`, "--out", `${root}/a.json`, ...common]);
    const log = await run([
      "--dir",
      `${root}/b`,
      "--out",
      `${root}/b.json`,
      "--interrupt-in-epoch",
      String(epoch),
      ...common,
    ]);
    const read = async (name: string) =>
      JSON.parse(await Deno.readTextFile(`${root}/${name}`));
    return {
      log,
      reference: await read("a.json"),
      rerun: await read("b.json"),
      report: await read("b.json.interrupt.json"),
    };
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function assertSameRun(
  rerun: { metrics: unknown; weights: number[][]; tensors: number },
  reference: { metrics: unknown; weights: number[][]; tensors: number },
) {
  assert.deepEqual(rerun.metrics, reference.metrics);
  assert.equal(rerun.weights.length, reference.weights.length);
  for (const [i, weights] of rerun.weights.entries()) {
    assert.deepEqual(weights, reference.weights[i], `weight tensor ${i}`);
  }
  // No tensor left behind by the interrupted epoch.
  assert.equal(rerun.tensors, reference.tensors);
}

Deno.test("Stop in epoch 2: training ends after the step, the model is back at epoch 1's checkpoint, and re-running the cell ends as an uninterrupted run (bit for bit, same tensor count)", async () => {
  const { log, reference, rerun, report } = await interruptAndRerun(2);
  assert.equal(report.name, "TrainingInterrupted");
  assert.equal(report.epoch, 2);
  // The signal is sent after step 2; it is heard within one more step.
  assert.ok([2, 3].includes(report.step), `stopped after step ${report.step}`);
  assert.equal(report.epochsInHistory, 1);
  assert.equal(report.isTraining, false);
  assert.equal(report.predictFinite, true);
  assert.match(
    report.message,
    /^Training stopped by an interrupt in epoch 2 of 3, after step [23] of 3: the model is back to its state after epoch 1, from its checkpoint in .*; run again to continue after epoch 1$/,
  );
  assert.match(log, /Interrupt received: stopping at the next safe point/);
  assert.match(log, /Restored from .*: continuing after epoch 1 of 3\n/);
  // The epoch cut short is never logged as an epoch.
  assert.equal(log.match(/^Epoch 2\/3 /gm)?.length, 1);
  assertSameRun(rerun, reference);
});

Deno.test("Stop in epoch 1, before any checkpoint: the model is back to its starting weights and re-running trains from epoch 1 as if never stopped", async () => {
  const { log, reference, rerun, report } = await interruptAndRerun(1);
  assert.equal(report.epoch, 1);
  assert.equal(report.epochsInHistory, 0);
  assert.match(
    report.message,
    /before the first checkpoint: the model is back to its starting weights; run again to train from epoch 1$/,
  );
  assert.match(log, /No checkpoint in .*: training from epoch 1/);
  assertSameRun(rerun, reference);
});

Deno.test("Stop while batches stream from the pixel cache: the read-ahead thread ends (the process exits by itself) and the re-run matches", async () => {
  const { reference, rerun, report } = await interruptAndRerun(2, [
    "--stream",
  ]);
  assert.ok([2, 3].includes(report.step), `stopped after step ${report.step}`);
  assertSameRun(rerun, reference);
});
