// The kernel pool of the fast backend that is on, for the modules that run
// kernels outside a tfjs op (simd_peak.ts). fast_backend.ts sets it.

import type { KernelPool } from "./_kernel_pool.ts";

let active: KernelPool | null = null;

/** Records the pool of the fast backend now on (null: none). */
export function setActivePool(pool: KernelPool | null): void {
  active = pool;
}

/** The pool of the fast backend now on; throws, naming `action`, if it is off. */
export function activePool(action: string): KernelPool {
  if (active == null) {
    throw new Error(
      `Cannot ${action}: the fast backend is not on, received no useFastBackend() call before`,
    );
  }
  return active;
}
