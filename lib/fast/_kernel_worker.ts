// Worker thread of the fast backend's kernel pool (see _kernel_pool.ts).
//
// It compiles and instantiates kernels.wasm on the shared memory it is sent
// (its own compiled copy: threads sharing one compiled module ran one at a
// time), then loops:
// wait on the job counter (spinning briefly, then Atomics.wait), run the job the main thread
// wrote into the shared job slot, publish completion with Atomics.notify.
// Blocking is fine here: this thread does nothing but run kernels.

import { parentPort } from "node:worker_threads";
import {
  BOARD_ARGS,
  BOARD_CHUNKS,
  BOARD_LISTS,
  BOARD_NEXT,
  JOB_ARGS,
  JOB_BALANCED,
  JOB_DONE,
  JOB_FN,
  JOB_SEQ,
  SPIN_MS,
} from "./_kernel_abi.ts";

interface Start {
  /** kernels*.wasm, compiled here (a shared compiled module runs serially). */
  bytes: Uint8Array<ArrayBuffer>;
  memory: WebAssembly.Memory;
  job: SharedArrayBuffer;
  board: SharedArrayBuffer;
  functions: string[];
}

/**
 * Waits until the job counter moves past `seen` and returns it. Spins for a
 * few milliseconds first: a training step calls kernels back to back, and a
 * thread that went to sleep can take milliseconds to wake (on virtual
 * machines a halted vCPU has to be rescheduled), which used to serialize
 * the two threads of a 2-core machine.
 */
function nextJob(slot: Int32Array, seen: number): number {
  const until = performance.now() + SPIN_MS;
  for (let i = 0;; i++) {
    const seq = Atomics.load(slot, JOB_SEQ);
    if (seq !== seen) return seq;
    if ((i & 1023) === 1023 && performance.now() > until) break;
  }
  Atomics.wait(slot, JOB_SEQ, seen);
  return Atomics.load(slot, JOB_SEQ);
}

/** Claims chunks of the balanced board and runs them. */
function runChunks(board: Int32Array, fn: (...args: number[]) => void): void {
  const chunks = board[BOARD_CHUNKS];
  const count = board[BOARD_ARGS];
  const args: number[] = new Array(count);
  for (;;) {
    const c = Atomics.add(board, BOARD_NEXT, 1);
    if (c >= chunks) return;
    const at = BOARD_LISTS + c * count;
    for (let i = 0; i < count; i++) args[i] = board[at + i];
    fn(...args);
  }
}

parentPort!.once("message", (start: Start) => {
  const { bytes, memory, job, board: boardBuffer, functions } = start;
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const fns = functions.map((name) =>
    instance.exports[name] as (...args: number[]) => void
  );
  const slot = new Int32Array(job);
  const board = new Int32Array(boardBuffer);
  let seen = Atomics.load(slot, JOB_SEQ);
  parentPort!.postMessage("ready");
  for (;;) {
    seen = nextJob(slot, seen);
    if (seen < 0) return; // shutdown request
    const fn = fns[slot[JOB_FN]];
    const balanced = slot[JOB_BALANCED];
    if (balanced === 0) {
      const count = fn.length;
      const args: number[] = new Array(count);
      for (let i = 0; i < count; i++) args[i] = slot[JOB_ARGS + i];
      fn(...args);
    } else {
      runChunks(board, fn);
    }
    Atomics.store(slot, JOB_DONE, seen);
    Atomics.notify(slot, JOB_DONE);
  }
});
