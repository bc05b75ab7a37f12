// Run by tests/util/interrupt_test.ts in a subprocess (the SIGINT it sends
// itself never reaches other tests). Prints one JSON line:
// - turnFree: once the watcher thread listens, letInterruptIn() returns
//   without an event-loop turn (a setTimeout(0) set before it has not run);
// - heard: for each try, whether the SIGINT sent in the middle of a
//   synchronous stretch (as a training step is) was let in by the first
//   letInterruptIn() after it.
import {
  letInterruptIn,
  listenForInterrupt,
} from "../../../lib/util/interrupt.ts";

const TRIES = 8;
const BUSY_MS = 40;

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* a training step's computation */ }
}

/** Whether letInterruptIn() took an event-loop turn. */
async function tookTurn(): Promise<boolean> {
  let turned = false;
  const timer = setTimeout(() => (turned = true), 0);
  await letInterruptIn();
  clearTimeout(timer);
  return turned;
}

const turnFree: boolean[] = [];
const heard: boolean[] = [];
for (let i = 0; i < TRIES; i++) {
  const stop = listenForInterrupt();
  try {
    // Until the watcher listens, every call takes a turn (up to 10 s).
    let free = false;
    for (let wait = 0; wait < 200 && !free; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      free = !(await tookTurn());
    }
    turnFree.push(free);
    busy(BUSY_MS / 2);
    Deno.kill(Deno.pid, "SIGINT");
    busy(BUSY_MS / 2);
    await letInterruptIn();
    heard.push(stop.interrupted);
  } finally {
    stop.close();
  }
}
console.log(JSON.stringify({ turnFree, heard }));
