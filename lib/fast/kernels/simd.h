// Shared by the SIMD training kernels of the fast tfjs backend (lib/fast/),
// one C file per family of kernels, beside the TypeScript file that calls
// them (conv.c: _conv.ts, max_pool.c: _max_pool.ts, dense.c: _dense.ts,
// elementwise.c: _elementwise.ts, layout.c: _layout.ts, batch_norm.c:
// _batch_norm.ts, simd_peak.c: simd_peak.ts).
//
// Built to lib/fast/kernels*.wasm by lib/fast/build_kernels.sh (the exact
// clang commands are in that script). The module imports a shared WebAssembly.Memory,
// so the main thread and worker threads run these functions on the same data;
// every function takes a range of output rows so that callers can split the
// work between threads. The code uses no C stack and no static data: it only
// touches the memory it is given.
//
// Layout: every image tensor is NHWC (batch, height, width, channels), as in
// tfjs.

#ifndef FAST_KERNELS_SIMD_H
#define FAST_KERNELS_SIMD_H

#include <wasm_simd128.h>

typedef v128_t f4;

static inline f4 load4(const float* p) { return wasm_v128_load(p); }
static inline void store4(float* p, f4 v) { wasm_v128_store(p, v); }
static inline f4 splat(float v) { return wasm_f32x4_splat(v); }
// acc + a * b. With relaxed SIMD this is one fused multiply-add (V8 emits
// vfmadd on x86 CPUs with FMA), about twice the throughput of mul + add.
static inline f4 madd(f4 acc, f4 a, f4 b) {
#ifdef __wasm_relaxed_simd__
  return __builtin_wasm_relaxed_madd_f32x4(a, b, acc);
#else
  return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b));
#endif
}

#endif
