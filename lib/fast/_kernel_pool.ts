// The kernel pool: kernels.wasm instantiated on the tfjs wasm backend's own
// heap, made shared by _shared_heap.ts, by the main thread and by
// `threads - 1` worker threads, so every kernel reads and writes tfjs tensors
// in place. They are
// node:worker_threads workers (Deno runs them as module workers) because
// those can be unref'd: idle kernel threads never keep a script from exiting.
//
// A kernel call is split into row ranges. The main thread posts each worker
// its range (or the board of chunks they all claim from) through a shared job
// slot, runs its own share, then waits (Atomics.wait, allowed on Deno's main
// thread) for the others. tfjs calls kernels synchronously, so the whole call
// stays synchronous.
//
// Same inputs, same bits: a kernel's result never depends on how many
// threads ran it, nor on which thread ran which rows. Kernels that write
// disjoint outputs compute every output the same way whatever range it falls
// in; reductions (a filter gradient, a bias gradient, batch-norm sums) go
// through runParts(), whose partition is fixed by the problem's shape and
// whose partial results are added in part order.

import { Worker } from "node:worker_threads";
import {
  BOARD_ARGS,
  BOARD_CHUNKS,
  BOARD_LISTS,
  BOARD_NEXT,
  boardSlots,
  CHUNKS_PER_THREAD,
  JOB_ARGS,
  JOB_BALANCED,
  JOB_DONE,
  JOB_FN,
  JOB_SEQ,
  JOB_SLOTS,
  MAX_PARTS,
  SPIN_MS,
} from "./_kernel_abi.ts";

/** The exported kernels of kernels.wasm, in job-slot numbering. */
export const KERNEL_FUNCTIONS = [
  "conv_forward",
  "conv_implicit",
  "pack_weights",
  "pack_weights_flipped",
  "pad_rows",
  "conv_filter_grad",
  "max_pool",
  "max_pool_grad",
  "max_pool_2x2",
  "max_pool_2x2_grad",
  "max_pool_2x2_grad_idx",
  "sum_parts",
  "gemm",
  "transpose",
  "column_sum",
  "bias_add",
  "zero",
  "relu",
  "relu_grad",
  "adam",
  "reverse_axis",
  "transform",
  "fma_peak",
  "bn_moments",
  "bn_normalize",
  "bn_grad_moments",
  "bn_grad_input",
  "broadcast_op",
  "select_op",
  "channel_means",
  "clip",
  "bn_normalize_relu",
  "bn_grad_moments_relu",
  "bn_grad_input_relu",
  "same_shape_op",
  "add_relu",
  "flip_images",
  "color_map",
] as const;

/** Name of one exported kernel. */
export type KernelName = typeof KERNEL_FUNCTIONS[number];

const ALIGN_BYTES = 64; // one cache line
/** Element-wise kernels split work in blocks of this many floats. */
const ELEMENT_BLOCK = 64;
/** Below this many elements a second thread costs more than it saves. */
const MIN_THREADED_ELEMENTS = 1 << 15;
/** Floats that the partial results of one reduction may take (16 MiB). */
const PART_BUDGET_FLOATS = 1 << 22;

/** The heap's allocator (the tfjs backend's malloc and free). */
export interface HeapAllocator {
  malloc(bytes: number): number;
  free(pointer: number): void;
}

interface WorkerHandle {
  worker: Worker;
  slot: Int32Array;
  seq: number;
}

/** Kernels on shared memory, run by the main thread plus worker threads. */
export class KernelPool {
  /** Threads started (main thread included). */
  readonly maxThreads: number;
  /** Whether the kernels use fused multiply-add (relaxed SIMD). */
  readonly fma: boolean;
  readonly #memory: WebAssembly.Memory;
  readonly #heap: HeapAllocator;
  readonly #fns: Record<string, (...args: number[]) => void>;
  readonly #workers: WorkerHandle[];
  /** The balanced jobs' board (see BOARD_* in _kernel_abi.ts). */
  readonly #board: Int32Array;
  /** Scratch block on the heap (padded copies, per-thread partial sums). */
  #scratch = 0;
  #scratchBytes = 0;
  #top = 0;
  #view: Float32Array;
  /** Threads a call is split over now (see setActiveThreads). */
  #active: number;

  private constructor(
    memory: WebAssembly.Memory,
    heap: HeapAllocator,
    instance: WebAssembly.Instance,
    workers: WorkerHandle[],
    board: Int32Array,
    fma: boolean,
  ) {
    this.fma = fma;
    this.#board = board;
    this.#memory = memory;
    this.#heap = heap;
    this.#fns = {};
    for (const name of KERNEL_FUNCTIONS) {
      this.#fns[name] = instance.exports[name] as (...args: number[]) => void;
    }
    this.#workers = workers;
    this.maxThreads = workers.length + 1;
    this.#active = this.maxThreads;
    this.#view = new Float32Array(memory.buffer);
  }

  /**
   * Loads the kernels (the fused multiply-add build when `preferFma` and the
   * runtime has relaxed SIMD) on the shared `memory`, whose blocks `heap`
   * hands out, and starts `threads - 1` workers.
   */
  static async create(
    memory: WebAssembly.Memory,
    heap: HeapAllocator,
    threads: number,
    preferFma = true,
  ): Promise<KernelPool> {
    const read = (name: string) =>
      Deno.readFile(new URL(name, import.meta.url));
    let fma = preferFma;
    let bytes = fma ? await read("./kernels_fma.wasm") : new Uint8Array();
    if (!fma || !WebAssembly.validate(bytes)) {
      fma = false;
      bytes = await read("./kernels.wasm");
    }
    const module = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const workers: WorkerHandle[] = [];
    const ready: Promise<void>[] = [];
    const board = new SharedArrayBuffer(
      boardSlots(threads) * Int32Array.BYTES_PER_ELEMENT,
    );
    for (let i = 1; i < threads; i++) {
      const worker = new Worker(
        new URL("./_kernel_worker.ts", import.meta.url),
      );
      const job = new SharedArrayBuffer(
        JOB_SLOTS * Int32Array.BYTES_PER_ELEMENT,
      );
      ready.push(
        new Promise((resolve, reject) => {
          worker.once("message", () => resolve());
          worker.once("error", (e: Error) => {
            reject(new Error(`Cannot start kernel worker: ${e.message}`));
          });
        }),
      );
      // The binary, not the compiled module: V8 (in Deno 2.9) runs a module
      // shared between threads on one thread at a time, so each worker
      // compiles its own copy to run in parallel.
      worker.postMessage({
        bytes,
        memory,
        job,
        board,
        functions: [...KERNEL_FUNCTIONS],
      });
      workers.push({ worker, slot: new Int32Array(job), seq: 0 });
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      for (const w of workers) w.worker.terminate();
      throw error;
    }
    // Blocked in Atomics.wait between jobs, the workers must not keep the
    // process alive.
    for (const w of workers) w.worker.unref();
    return new KernelPool(
      memory,
      heap,
      instance,
      workers,
      new Int32Array(board),
      fma,
    );
  }

  /**
   * Frees the scratch allocations of the previous kernel and makes room for
   * `floats` float32 slots of new ones (call at the start of each kernel,
   * before creating its output tensor: growing the scratch block may grow
   * the heap).
   */
  reset(floats = 0): void {
    this.#top = 0;
    const bytes = floats * 4 + 8 * ALIGN_BYTES;
    if (bytes > this.#scratchBytes) {
      if (this.#scratch !== 0) this.#heap.free(this.#scratch);
      // Room to spare, so that slightly larger calls do not reallocate.
      this.#scratchBytes = Math.ceil(bytes * 1.25);
      this.#scratch = this.#heap.malloc(this.#scratchBytes) >>> 0;
      if (this.#scratch === 0) {
        this.#scratchBytes = 0;
        throw new RangeError(
          `Cannot allocate kernel scratch memory: the heap is full, received a request for ${bytes} bytes`,
        );
      }
    }
  }

  /** Allocates `bytes` on the heap outside the scratch block (0 when full); free with free(). */
  malloc(bytes: number): number {
    return this.#heap.malloc(bytes) >>> 0;
  }

  /** Frees a block from malloc(). */
  free(at: number): void {
    this.#heap.free(at);
  }

  /**
   * The most argument lists a `run` makes: one per thread, or one per chunk
   * of a balanced run (for scratch of each list's own).
   */
  get maxLists(): number {
    return this.threads * CHUNKS_PER_THREAD;
  }

  /** The float32 slots alloc(floats) takes from the scratch block (a whole number of cache lines). */
  static allocated(floats: number): number {
    return Math.ceil((floats * 4) / ALIGN_BYTES) * ALIGN_BYTES / 4;
  }

  /** Reserves `floats` float32 slots of scratch and returns their byte offset. */
  alloc(floats: number): number {
    const base = Math.ceil(this.#scratch / ALIGN_BYTES) * ALIGN_BYTES;
    const at = base + this.#top;
    this.#top += KernelPool.allocated(floats) * 4;
    if (this.#top + base > this.#scratch + this.#scratchBytes) {
      throw new RangeError(
        `Cannot allocate kernel scratch memory: reset() reserved ${this.#scratchBytes} bytes, received a request beyond them`,
      );
    }
    return at;
  }

  /** Threads a call is split over (main thread included). */
  get threads(): number {
    return this.#active;
  }

  /** Splits later calls over `n` threads (1 to maxThreads); the others idle. */
  setActiveThreads(n: number): void {
    this.#active = n;
  }

  /** Calls kernel `name` once on the calling thread (any argument types). */
  call(name: KernelName, ...args: number[]): void {
    this.#fns[name](...args);
  }

  /** A float32 view of the whole heap (valid until the heap grows). */
  get f32(): Float32Array {
    if (this.#view.buffer.byteLength !== this.#memory.buffer.byteLength) {
      this.#view = new Float32Array(this.#memory.buffer);
    }
    return this.#view;
  }

  /**
   * Runs kernel `name` over `rows` rows split between threads;
   * `args(begin, end, thread)` gives the argument list for one range.
   * Split evenly, one range per thread; or, `balanced`, cut into chunks that
   * the threads claim until none is left, so that a thread slowed down by
   * other work on its core (a shared host, a busy laptop) does less. Either
   * way the kernel must write disjoint outputs, each computed the same way
   * whatever range it falls in (reductions use runParts()); `thread` is only
   * given on the even split (a balanced chunk may run on any thread).
   */
  run(
    name: KernelName,
    rows: number,
    args: (begin: number, end: number, thread: number) => number[],
    threads = this.threads,
    balanced = false,
  ): void {
    this.#settle();
    const n = Math.max(1, Math.min(threads, this.#active, rows));
    const fnIndex = KERNEL_FUNCTIONS.indexOf(name);
    if (balanced && n > 1) {
      // Chunk c of C spans rows in proportion to C - c: the last chunks
      // are small, so a thread that runs out of chunks waits little for
      // the other's last one (measured: the main thread's waits in a step
      // of the residual CNN, 4.9 ms with equal chunks, 2.9 ms with these).
      const chunks = Math.min(rows, n * CHUNKS_PER_THREAD);
      const total = (chunks * (chunks + 1)) / 2;
      const bounds = (c: number) =>
        Math.round((rows * (c * chunks - (c * (c - 1)) / 2)) / total);
      this.#runBalanced(
        fnIndex,
        chunks,
        (c) => args(bounds(c), bounds(c + 1), -1),
        n,
      );
      return;
    }
    const bounds = (t: number) => Math.round((rows * t) / n);
    for (let t = 1; t < n; t++) {
      const w = this.#workers[t - 1];
      const list = args(bounds(t), bounds(t + 1), t);
      w.slot[JOB_FN] = fnIndex;
      w.slot[JOB_BALANCED] = 0;
      for (let i = 0; i < list.length; i++) w.slot[JOB_ARGS + i] = list[i];
      this.#post(w);
    }
    this.#fns[name](...args(bounds(0), bounds(1), 0));
    this.#waitFor(n);
  }

  /**
   * Runs a reduction: kernel `name` once per part of `rows` rows cut into
   * `parts` ranges (see partsFor), `args(begin, end, part)` giving part
   * `part`'s argument list, each part writing its own partial result. The
   * threads claim parts as in a balanced run(); the caller then adds the
   * partial results in part order. The partition depends on the problem's
   * shape only, so the sum is bit-identical on any number of threads and
   * whichever thread claims which part.
   */
  runParts(
    name: KernelName,
    rows: number,
    parts: number,
    args: (begin: number, end: number, part: number) => number[],
    threads = this.threads,
  ): void {
    this.#settle();
    const bounds = (p: number) => Math.round((rows * p) / parts);
    const list = (p: number) => args(bounds(p), bounds(p + 1), p);
    const n = Math.max(1, Math.min(threads, this.#active, parts));
    if (n === 1) {
      const fn = this.#fns[name];
      for (let p = 0; p < parts; p++) fn(...list(p));
      return;
    }
    this.#runBalanced(KERNEL_FUNCTIONS.indexOf(name), parts, list, n);
  }

  /**
   * Adds the `parts` partial results of `len` floats each, laid out one
   * after another at byte offset `partsAt`, into `out`, in part order, the
   * elements split between threads.
   */
  sumParts(partsAt: number, parts: number, len: number, out: number): void {
    this.runElements(
      "sum_parts",
      len,
      (begin, end) => [partsAt, parts, len, out, begin, end],
    );
  }

  /**
   * Parts of a reduction over `rows` rows whose partial result is
   * `partFloats` floats: up to MAX_PARTS, fewer when the partial results
   * would take more than a few megabytes. Depends on the shape only.
   */
  static partsFor(rows: number, partFloats: number): number {
    const byMemory = Math.floor(PART_BUDGET_FLOATS / Math.max(1, partFloats));
    return Math.max(1, Math.min(rows, MAX_PARTS, byMemory));
  }

  /** Runs `chunks` argument lists on the shared board, claimed by `n` threads. */
  #runBalanced(
    fnIndex: number,
    chunks: number,
    list: (chunk: number) => number[],
    n: number,
  ): void {
    const board = this.#board;
    // The board holds max(CHUNKS_PER_THREAD * threads, MAX_PARTS) lists of
    // up to MAX_ARGS (boardSlots), so every chunk fits.
    let count = 0;
    for (let c = 0; c < chunks; c++) {
      const args = list(c);
      count = args.length;
      const at = BOARD_LISTS + c * count;
      for (let i = 0; i < count; i++) board[at + i] = args[i];
    }
    board[BOARD_CHUNKS] = chunks;
    board[BOARD_ARGS] = count;
    Atomics.store(board, BOARD_NEXT, 0);
    for (let t = 1; t < n; t++) {
      const w = this.#workers[t - 1];
      w.slot[JOB_FN] = fnIndex;
      w.slot[JOB_BALANCED] = 1;
      this.#post(w);
    }
    const fn = this.#fns[KERNEL_FUNCTIONS[fnIndex]];
    const args: number[] = new Array(count);
    for (;;) {
      const c = Atomics.add(board, BOARD_NEXT, 1);
      if (c >= chunks) break;
      const at = BOARD_LISTS + c * count;
      for (let i = 0; i < count; i++) args[i] = board[at + i];
      fn(...args);
    }
    this.#waitFor(n);
  }

  /**
   * Waits for any worker still busy with an earlier job. Only an
   * interrupted call leaves one (a Jupyter interrupt stops the main thread
   * mid-call, while the workers finish their share): without this wait the
   * next call would overwrite the board and job slots they are reading.
   */
  #settle(): void {
    this.#waitFor(this.#workers.length + 1);
  }

  /** Hands worker `w` the job now in its slot. */
  #post(w: WorkerHandle): void {
    w.seq++;
    Atomics.store(w.slot, JOB_SEQ, w.seq);
    Atomics.notify(w.slot, JOB_SEQ);
  }

  /** Waits until workers 1..n-1 have finished their jobs. */
  #waitFor(n: number): void {
    for (let t = 1; t < n; t++) {
      const w = this.#workers[t - 1];
      // Spin first (see SPIN_MS), then sleep. The clock is read only once
      // the spin lasts: most waits end within a few loads.
      let until = 0;
      for (let i = 0;; i++) {
        const done = Atomics.load(w.slot, JOB_DONE);
        if (done === w.seq) break;
        if ((i & 1023) === 1023) {
          if (until === 0) until = performance.now() + SPIN_MS;
          else if (performance.now() > until) {
            Atomics.wait(w.slot, JOB_DONE, done);
          }
        }
      }
    }
  }

  /**
   * Splits `n` elements into ranges of whole SIMD blocks, balanced between
   * threads, and runs kernel `name` with `args(begin, end)` (element
   * indices; the kernel must be element-wise).
   */
  runElements(
    name: KernelName,
    n: number,
    args: (begin: number, end: number) => number[],
  ): void {
    const blocks = Math.ceil(n / ELEMENT_BLOCK);
    const threads = n < MIN_THREADED_ELEMENTS ? 1 : this.threads;
    this.run(
      name,
      blocks,
      (b, e) => args(b * ELEMENT_BLOCK, Math.min(e * ELEMENT_BLOCK, n)),
      threads,
      true,
    );
  }

  /** Stops the workers and frees the scratch memory. */
  close(): void {
    if (this.#scratch !== 0) this.#heap.free(this.#scratch);
    this.#scratch = 0;
    this.#scratchBytes = 0;
    for (const w of this.#workers) {
      Atomics.store(w.slot, JOB_SEQ, -1);
      Atomics.notify(w.slot, JOB_SEQ);
      w.worker.terminate();
    }
    this.#workers.length = 0;
  }
}
