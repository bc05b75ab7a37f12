// Layout of the shared job slot through which the main thread hands a kernel
// call to a worker (see _kernel_pool.ts and _kernel_worker.ts).

/** Index of the job sequence number; a worker wakes when it changes. */
export const JOB_SEQ = 0;
/** Index where a worker stores the sequence number of the job it finished. */
export const JOB_DONE = 1;
/** Index of the kernel function's number in the function list. */
export const JOB_FN = 2;
/**
 * Index of the job's mode: 0 runs the arguments in this slot once; t + 1
 * claims chunks of the balanced board as thread t (see BOARD_*).
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
// one argument list per (chunk, thread), and every thread, the main thread
// included, claims chunks with an atomic counter until none is left, so a
// thread slowed down by something else on its core does less of the work.
/** Index of the next chunk to claim. */
export const BOARD_NEXT = 0;
/** Index of the number of chunks. */
export const BOARD_CHUNKS = 1;
/** Index of the number of threads the lists are written for. */
export const BOARD_THREADS = 2;
/** Index of the length of one argument list. */
export const BOARD_ARGS = 3;
/** Index of the first argument list; list (c, t) starts at BOARD_LISTS + (c * threads + t) * args. */
export const BOARD_LISTS = 4;
/** A balanced call is cut into this many chunks per thread. */
export const CHUNKS_PER_THREAD = 8;

/** Int32 slots of the board for `threads` threads: every chunk's list for every thread. */
export function boardSlots(threads: number): number {
  return BOARD_LISTS + CHUNKS_PER_THREAD * threads * threads * MAX_ARGS;
}
