/**
 * Stop, as Python's KeyboardInterrupt stops: long work (training, loading
 * photos, explanation maps) listens for an interrupt — Jupyter's Stop button,
 * which sends SIGINT to the kernel, or Ctrl+C in a terminal — and ends at the
 * next safe point (after a training step, between two photos), leaving
 * everything usable: the kernel and its variables, the model, the fast
 * backend, the checkpoints. It then throws {@linkcode Interrupted}, so the
 * cell ends with a message saying where it stopped and how to continue.
 *
 In a terminal, SIGINT means "stop at the next safe point" only while such
 * work runs; outside it, and on a second Ctrl+C while the first is being
 * honoured, it ends the process as usual. In a notebook, once our work has
 * listened (or {@linkcode keepKernelOnStop} was called, as `loadDataset`
 * does), the kernel keeps listening: a Stop that comes when nothing of ours
 * runs (the cell just finished, or an explanation map is computed) is
 * reported and ignored instead of ending the kernel. Code that never yields (`while (true) {}`) cannot be
 * stopped cooperatively: its Stop waits until it yields; restart the kernel
 * then.
 *
 * Why not Jupyter's `"interrupt_mode": "message"`: Deno 2.9.6's kernel answers
 * that message by terminating the JavaScript that runs at that instant, which
 * stops a synchronous loop but leaves an awaiting cell (training awaits every
 * batch) busy for good — measured: the cell and every cell after it still
 * waited 90 s later. A terminated call can also leave tfjs mid-kernel.
 *
 * @example Work that stops at the next safe point
 * ```ts
 * import assert from "node:assert/strict";
 * import { Interrupted, listenForInterrupt } from "./interrupt.ts";
 *
 * const stop = listenForInterrupt();
 * try {
 *   for (let step = 1; step <= 3; step++) {
 *     if (stop.interrupted) throw new Interrupted(`stopped before step ${step}`);
 *   }
 * } finally {
 *   stop.close();
 * }
 * assert.equal(new Interrupted("x").name, "Interrupted");
 * ```
 *
 * @module
 */

import { isNotebook } from "./notebook.ts";

/** Thrown by work that an interrupt (Stop, Ctrl+C) ended at a safe point. */
export class Interrupted extends Error {
  /**
   * An interrupt's error.
   *
   * @param message Where the work stopped, what holds, how to continue.
   * @param options The error's cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "Interrupted";
  }
}

/** A listener for the interrupt, from {@linkcode listenForInterrupt}. */
export interface InterruptListener {
  /** Aborted when an interrupt arrives; `signal.reason` is an {@linkcode Interrupted}. */
  readonly signal: AbortSignal;
  /** Whether an interrupt arrived since the outermost listener opened. */
  readonly interrupted: boolean;
  /** Stops listening (the last listener closed restores SIGINT's usual meaning). */
  close(): void;
}

let open = 0;
let controller: AbortController | undefined;
let listening = false;

/**
 * The watcher thread (_interrupt_watcher.ts) and its shared state: [READY]
 * is 1 once it listens, [HEARD] counts the SIGINTs it heard.
 */
let watcher: { worker: Worker; state: Int32Array } | undefined;
const READY = 0;
const HEARD = 1;
/** The watcher's count that {@linkcode letInterruptIn} has let in. */
let letIn = 0;
/** SIGINTs delivered to this thread's listener. */
let delivered = 0;
/** Most event-loop turns {@linkcode letInterruptIn} waits for a delivery. */
const MAX_TURNS = 20;

function startWatcher(): void {
  try {
    const state = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      new URL("./_interrupt_watcher.ts", import.meta.url),
      { type: "module" },
    );
    worker.postMessage(state.buffer);
    watcher = { worker, state };
    letIn = 0;
  } catch {
    // No workers here: letInterruptIn takes a turn after every step.
  }
}

function stopWatcher(): void {
  watcher?.worker.terminate();
  watcher = undefined;
}

function onSigint(): void {
  delivered++;
  if (open === 0 || !controller) {
    // Only in a notebook, which keeps listening between cells.
    console.error(
      "Interrupt received while no training or loading ran: nothing to stop, the kernel and its variables are kept.",
    );
    return;
  }
  if (controller.signal.aborted) {
    console.error(
      "Interrupt received again: already stopping at the next safe point.",
    );
    return;
  }
  // In a terminal a second Ctrl+C ends the process, as usual: for when the
  // safe point never comes.
  if (!isNotebook()) stopListening();
  console.error(
    isNotebook()
      ? "Interrupt received: stopping at the next safe point."
      : "Interrupt received: stopping at the next safe point (Ctrl+C again ends the process now).",
  );
  controller.abort(new Interrupted("Interrupted"));
}

function startListening(): void {
  if (listening) return;
  try {
    Deno.addSignalListener("SIGINT", onSigint);
    listening = true;
    startWatcher();
  } catch {
    // No signals here (permission, platform): work runs to its end, and Stop
    // keeps its usual meaning.
  }
}

function stopListening(): void {
  if (!listening) return;
  listening = false;
  stopWatcher();
  try {
    Deno.removeSignalListener("SIGINT", onSigint);
  } catch {
    // Already removed, or signals unsupported here.
  }
}

/**
 * Lets a pending interrupt in. Deno delivers a signal to this thread's
 * listener on a turn of its event loop that also polls for I/O, which code
 * awaiting only settled promises (tfjs between training steps) never takes;
 * a timer makes that turn, but it waits ~2 ms (Deno 2.9.6), ~1.5% of a
 * training step. So a watcher thread listens too (its idle loop hears a
 * signal at once), and the turn is taken only when it has heard one, or
 * before it is ready. A cheaper async op than a timer does not make the
 * turn: Deno's scheduler polls for I/O only when it has nothing to run, and
 * an op that finishes on a worker thread (a SHA-256 of one byte, ~0.05 ms)
 * often wakes it first. Measured: a process that sends itself SIGINT and
 * then awaits such ops saw the signal after the first await in 221 of 300
 * tries on an idle machine, and after up to 129 awaits with both cores busy;
 * with `setTimeout(0)`, after the first in 282 of 300 and the second in the
 * rest, busy.
 */
export async function letInterruptIn(): Promise<void> {
  const state = watcher?.state;
  if (!state || Atomics.load(state, READY) === 0) {
    await eventLoopTurn();
    return;
  }
  const heard = Atomics.load(state, HEARD);
  if (heard === letIn) return;
  letIn = heard;
  // Turns until this thread's listener has run (unless it already stopped
  // the work: then there is nothing to wait for).
  const before = delivered;
  for (
    let turn = 0;
    delivered === before && !controller?.signal.aborted && turn < MAX_TURNS;
    turn++
  ) {
    await eventLoopTurn();
  }
}

/** One turn of the event loop that polls for I/O (a signal among it). */
function eventLoopTurn(): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/**
 * In a notebook, starts listening for SIGINT for the rest of the kernel's
 * life, so that a Stop when nothing of ours runs (the cell just finished, or
 * it computes something that never looks for an interrupt, such as an
 * explanation map) is reported and ignored instead of ending the kernel and
 * its variables. `loadDataset` calls it; outside a notebook it does nothing.
 * Idempotent.
 */
export function keepKernelOnStop(): void {
  if (isNotebook()) startListening();
}

/**
 * Listens for an interrupt (SIGINT) until `close()`: work reads `interrupted`
 * (or hands `signal` on) at its safe points. Listeners nest (training inside a checkpointed run shares
 * one); the first opened installs the SIGINT handler, the last closed
 * removes it. Where signals cannot be listened to (no permission, an
 * unsupported platform) the listener never fires and work runs as before.
 *
 * @returns The listener; close it in a `finally`.
 */
export function listenForInterrupt(): InterruptListener {
  if (open++ === 0) {
    controller = new AbortController();
    startListening();
  }
  const own = controller!;
  let closed = false;
  return {
    signal: own.signal,
    get interrupted() {
      return own.signal.aborted;
    },
    close() {
      if (closed) return;
      closed = true;
      if (--open === 0) {
        // A notebook keeps listening, so a late Stop never ends the kernel.
        if (!isNotebook()) stopListening();
        controller = undefined;
      }
    },
  };
}
