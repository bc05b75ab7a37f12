// Worker thread of the fast backend's kernel pool (see _kernel_pool.ts).
//
// It instantiates kernels.wasm on the shared memory it is sent, then loops:
// sleep on the job counter with Atomics.wait, run the job the main thread
// wrote into the shared job slot, publish completion with Atomics.notify.
// Blocking is fine here: this thread does nothing but run kernels.

import { parentPort } from "node:worker_threads";
import { JOB_ARGS, JOB_DONE, JOB_FN, JOB_SEQ } from "./_kernel_abi.ts";

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  job: SharedArrayBuffer;
  functions: string[];
}

parentPort!.once("message", (start: Start) => {
  const { module, memory, job, functions } = start;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const fns = functions.map((name) =>
    instance.exports[name] as (...args: number[]) => void
  );
  const slot = new Int32Array(job);
  let seen = Atomics.load(slot, JOB_SEQ);
  parentPort!.postMessage("ready");
  for (;;) {
    Atomics.wait(slot, JOB_SEQ, seen);
    seen = Atomics.load(slot, JOB_SEQ);
    if (seen < 0) return; // shutdown request
    const fn = fns[slot[JOB_FN]];
    const count = fn.length;
    const args: number[] = new Array(count);
    for (let i = 0; i < count; i++) args[i] = slot[JOB_ARGS + i];
    fn(...args);
    Atomics.store(slot, JOB_DONE, seen);
    Atomics.notify(slot, JOB_DONE);
  }
});
