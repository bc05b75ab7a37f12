// measureSimdPeak(): the register-only FMA kernel on the fast backend's threads.

import assert from "node:assert/strict";
import {
  closeFastBackend,
  measureSimdPeak,
  useFastBackend,
} from "../../lib/fast/mod.ts";

Deno.test("measureSimdPeak() runs the peak kernel on every thread and reports a rate", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const peak = measureSimdPeak({ maxSeconds: 0.2 });
    assert.equal(peak.threads, 2);
    assert.equal(typeof peak.fma, "boolean");
    assert.ok(Number.isFinite(peak.gflops) && peak.gflops > 0);
  } finally {
    closeFastBackend();
  }
});

Deno.test("measureSimdPeak() throws when the fast backend is off", () => {
  assert.throws(() => measureSimdPeak(), {
    name: "Error",
    message:
      "Cannot measure the SIMD peak: the fast backend is not on, received no useFastBackend() call before",
  });
});
