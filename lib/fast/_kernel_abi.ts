// Layout of the shared job slot through which the main thread hands a kernel
// call to a worker (see _kernel_pool.ts and _kernel_worker.ts).

/** Index of the job sequence number; a worker wakes when it changes. */
export const JOB_SEQ = 0;
/** Index where a worker stores the sequence number of the job it finished. */
export const JOB_DONE = 1;
/** Index of the kernel function's number in the function list. */
export const JOB_FN = 2;
/**
 * Index of the job's mode: 0 runs the arguments in this slot once; 1 claims
 * chunks of the balanced board (see BOARD_*).
 */
export const JOB_BALANCED = 3;
/** Index of the first integer argument. */
export const JOB_ARGS = 4;
/** Most arguments a kernel takes. */
export const MAX_ARGS = 28;
/** Int32 slots per job slot. */
export const JOB_SLOTS = JOB_ARGS + MAX_ARGS;
/**
 * Milliseconds a waiting thread spins before it sleeps: waking a sleeping
 * thread can take milliseconds (a halted vCPU on a virtual machine), longer
 * than most kernels.
 */
export const SPIN_MS = 5;

// The board of a balanced job, shared by all threads: the main thread writes
// one argument list per chunk, and every thread, the main thread included,
// claims chunks with an atomic counter until none is left, so a thread slowed
// down by something else on its core does less of the work. A chunk's result
// never depends on which thread ran it: kernels write disjoint outputs, and
// reductions write one partial result per chunk (KernelPool.runParts).
/** Index of the next chunk to claim. */
export const BOARD_NEXT = 0;
/** Index of the number of chunks. */
export const BOARD_CHUNKS = 1;
/** Index of the length of one argument list. */
export const BOARD_ARGS = 2;
/** Index of the first argument list; chunk c's list starts at BOARD_LISTS + c * args. */
export const BOARD_LISTS = 3;
/** A balanced call of disjoint outputs is cut into this many chunks per thread. */
export const CHUNKS_PER_THREAD = 8;
/**
 * Most parts of a reduction (KernelPool.runParts). Fixed, not per thread,
 * so that a reduction adds the same partial sums in the same order on any
 * number of threads.
 */
export const MAX_PARTS = 16;

/** Int32 slots of the board for `threads` threads: one list per chunk. */
export function boardSlots(threads: number): number {
  return BOARD_LISTS +
    Math.max(CHUNKS_PER_THREAD * threads, MAX_PARTS) * MAX_ARGS;
}
