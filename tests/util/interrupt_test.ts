// The interrupt watcher (lib/util/interrupt.ts): training lets an interrupt
// in without pausing for it. Each run is a subprocess, so the SIGINT it
// sends itself never reaches the other tests.
import assert from "node:assert/strict";

const SCRIPT = new URL("./testdata/interrupt_watch.ts", import.meta.url)
  .pathname;

async function watch(): Promise<{ turnFree: boolean[]; heard: boolean[] }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const log = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `${text}\n${log}`);
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

Deno.test("letInterruptIn() takes no event-loop turn while nothing was heard, and lets in a SIGINT sent during a synchronous stretch at its first call", async () => {
  const { turnFree, heard } = await watch();
  assert.deepEqual(turnFree, turnFree.map(() => true), "a turn was taken");
  assert.deepEqual(heard, heard.map(() => true), "a SIGINT was let in late");
  // Both cores busy: the watcher thread still hears it.
  const hog = new Worker(
    `data:application/javascript,${
      encodeURIComponent(
        "onmessage = () => { const end = Date.now() + 60000; while (Date.now() < end) {} };",
      )
    }`,
    { type: "module" },
  );
  hog.postMessage(0);
  try {
    const busy = await watch();
    assert.deepEqual(busy.heard, busy.heard.map(() => true), "late when busy");
  } finally {
    hog.terminate();
  }
});
