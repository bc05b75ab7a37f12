import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);

Deno.test("lib/mod.ts import has no side effects: tfjs keeps its default backend", async () => {
  // A fresh process, so no other test has already selected a backend.
  const script = `
    import * as tf from "@tensorflow/tfjs";
    import * as lib from "./lib/mod.ts";
    const sum = tf.add(1, 2).dataSync()[0];
    console.log(JSON.stringify({ sum, backend: tf.getBackend(), exports: Object.keys(lib).length }));
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  const result = JSON.parse(lines.at(-1)!);
  assert.equal(result.sum, 3);
  assert.equal(result.backend, "cpu");
  assert.ok(
    result.exports > 40,
    `lib/mod.ts re-exports the modules, received ${result.exports}`,
  );
});
