// The interrupt watcher of interrupt.ts: a thread that does nothing but
// listen for SIGINT. Deno hands a signal to every listener, each on its own
// thread's event loop; this thread's loop is always idle, so it hears a Stop
// at once, while the main thread's loop takes no turn until training
// yields. It counts what it hears in shared memory:
// [0] ready (1 once it listens), [1] SIGINTs heard.

self.addEventListener("message", (event: Event) => {
  const state = new Int32Array((event as MessageEvent<SharedArrayBuffer>).data);
  Deno.addSignalListener("SIGINT", () => {
    Atomics.add(state, 1, 1);
  });
  Atomics.store(state, 0, 1);
});
