// Layout of the shared job slot through which the main thread hands a kernel
// call to a worker (see _kernel_pool.ts and _kernel_worker.ts).

/** Index of the job sequence number; a worker wakes when it changes. */
export const JOB_SEQ = 0;
/** Index where a worker stores the sequence number of the job it finished. */
export const JOB_DONE = 1;
/** Index of the kernel function's number in the function list. */
export const JOB_FN = 2;
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
