// The machine's wasm SIMD peak (measured by simd_peak.ts).

#include "simd.h"

// The machine's wasm SIMD peak: 12 independent chains of fused multiply-adds
// on registers only (no memory traffic), `iters` rounds of 12 f32x4 FMAs
// (96 flops a round). Writes the sum to out so nothing is optimised away.
__attribute__((export_name("fma_peak"))) void fma_peak(float* out, int iters) {
  const f4 x = splat(0.999999f), y = splat(1e-7f);
  f4 a0 = splat(1), a1 = splat(2), a2 = splat(3), a3 = splat(4);
  f4 a4 = splat(5), a5 = splat(6), a6 = splat(7), a7 = splat(8);
  f4 a8 = splat(9), a9 = splat(10), a10 = splat(11), a11 = splat(12);
  for (int i = 0; i < iters; i++) {
    a0 = madd(y, a0, x); a1 = madd(y, a1, x); a2 = madd(y, a2, x);
    a3 = madd(y, a3, x); a4 = madd(y, a4, x); a5 = madd(y, a5, x);
    a6 = madd(y, a6, x); a7 = madd(y, a7, x); a8 = madd(y, a8, x);
    a9 = madd(y, a9, x); a10 = madd(y, a10, x); a11 = madd(y, a11, x);
  }
  f4 s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)),
                        wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7)));
  s = wasm_f32x4_add(s, wasm_f32x4_add(wasm_f32x4_add(a8, a9), wasm_f32x4_add(a10, a11)));
  store4(out, s);
}
