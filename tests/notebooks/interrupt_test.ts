/**
 * Jupyter's Stop button in Deno's kernel, for real: `_interrupt_kernel.py`
 * drives the kernel registered by `deno task kernel` through jupyter_client
 * (what Jupyter's frontends use), runs notebook 2's cells in quick mode and
 * interrupts training after its first epoch line, loading while it decodes,
 * a synchronous computation (which must end normally), then training at 20
 * random (seeded) moments. Every check must hold: the
 * cell ends with a message saying where it stopped, the kernel answers, the
 * model predicts, re-running the cell resumes and finishes, no half-written
 * cache is left, and no Stop leaves the kernel busy (a hang).
 */
import assert from "node:assert/strict";
import { ensureJupyter, jupyterStatus } from "../../tools/run_notebooks.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const DRIVER = `${ROOT}/tests/notebooks/_interrupt_kernel.py`;
const NOTEBOOK = `${ROOT}/notebooks/02_flower_classification.ipynb`;
/** Random-moment interrupts, enough to catch a race. */
const ROUNDS = 20;
const SEED = 1;

const status = await jupyterStatus();
if (!status.available) {
  console.warn(
    `\n!!! INTERRUPT TEST SKIPPED: Jupyter is not installed.\n!!! ${status.hint}\n`,
  );
}

Deno.test({
  name:
    `Stop in Deno's kernel: after an epoch, while decoding, and at ${ROUNDS} random moments; the kernel, the model and the run survive`,
  ignore: !status.available,
  async fn() {
    await ensureJupyter();
    const workdir = await Deno.makeTempDir({ prefix: "interrupt_test_" });
    try {
      const result = await new Deno.Command("/usr/bin/python3", {
        args: [DRIVER, NOTEBOOK, workdir, String(ROUNDS), String(SEED)],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(result.stdout);
      const checks = stdout.trim().split("\n").filter((line) =>
        line.startsWith("{")
      ).map((line) => JSON.parse(line));
      const failed = checks.filter((c) => c.ok === false);
      const summary = checks.find((c) => c.summary)?.summary;
      console.log(
        checks.filter((c) => c.check).map((c) =>
          `${c.ok ? "ok" : "FAILED"}  ${c.check}${
            c.outcome ? ` (${c.outcome})` : ""
          }`
        ).join("\n") + `\n${summary}`,
      );
      assert.deepEqual(
        failed,
        [],
        new TextDecoder().decode(result.stderr).slice(-3000),
      );
      assert.ok(
        result.success,
        `driver exit ${result.code}\n${
          new TextDecoder().decode(result.stderr).slice(-3000)
        }`,
      );
      // Every check ran: 11 named ones, one per round and the hang count.
      assert.equal(checks.filter((c) => c.check).length, 11 + ROUNDS + 1);
    } finally {
      await Deno.remove(workdir, { recursive: true });
    }
  },
});
