// failureOf(): what makes a soak run count as failed.

import assert from "node:assert/strict";
import { failureOf } from "../../tools/soak.ts";

Deno.test("failureOf() passes a clean exit whatever the test names say", () => {
  const output = "corrupted checkpoint is refused ... ok (3ms)\n" +
    "ok | 3 passed | 0 failed (2s)\n";
  assert.equal(failureOf({ code: 0, signal: null, output }), null);
});

Deno.test("failureOf() names glibc's message even when the exit code is 0", () => {
  const output = "ok | 23 passed | 0 failed (27s)\n\n" +
    "corrupted size vs. prev_size in fastbins\n";
  assert.equal(
    failureOf({ code: 0, signal: null, output }),
    "crash: corrupted size vs. prev_size in fastbins",
  );
  assert.equal(
    failureOf({ code: 134, signal: null, output: "free(): invalid pointer\n" }),
    "crash: free(): invalid pointer",
  );
});

Deno.test("failureOf() fails a signal or a non-zero exit without a message", () => {
  assert.equal(
    failureOf({ code: 134, signal: "SIGABRT", output: "" }),
    "killed by SIGABRT",
  );
  assert.equal(
    failureOf({ code: 1, signal: null, output: "FAILED | 1 failed" }),
    "exit code 1",
  );
});
