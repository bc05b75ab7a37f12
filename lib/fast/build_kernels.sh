#!/bin/sh
# Builds the wasm variants of the kernels in lib/fast/kernels/ (one C file per
# family of kernels) with clang 16 + lld 16
# (Debian: apt-get install clang-16 lld-16; set CLANG to use another clang
# >= 16). The .wasm files are committed, so only kernel changes need this.
# - kernels.wasm:       shared memory (env.memory), so our worker threads run
#                       the same kernels on the same data; plain SIMD;
# - kernels_fma.wasm:   the same with relaxed SIMD (fused multiply-add), used
#                       when the runtime validates it.
# Both are instantiated on the tfjs wasm backend's heap, made shared by
# _shared_heap.ts, so the kernels work on tfjs tensors in place.
# None has data segments or uses the C stack, so they never write outside the
# arrays they are given. The stack would live in the shared heap at one
# address for every thread: threads would overwrite each other's locals and
# tfjs' tensors. clang spills to it when a local array is indexed by a value
# it cannot unroll away, so the build fails if any code touches the stack
# pointer (global.get / global.set).
# Last, it records the SHA-256 of the sources, this script and the two .wasm
# files in kernels.sha256 (`sha256sum -c kernels.sha256` checks them), so a
# test can tell when the committed .wasm no longer matches the sources.
set -eu
cd "$(dirname "$0")"
CLANG="${CLANG:-clang-16}"
FLAGS="--target=wasm32 -O3 -msimd128 -nostdlib -fno-builtin -Wall -Wextra
  -fuse-ld=lld -Wl,--no-entry -Wl,--import-memory
  -Wl,--max-memory=4294967296 -Wl,--strip-all"
SHARED="-matomics -mbulk-memory -Wl,--shared-memory"
OBJDUMP="${OBJDUMP:-llvm-objdump-16}"
SOURCES="kernels/batch_norm.c kernels/conv.c kernels/dense.c kernels/elementwise.c
  kernels/layout.c kernels/max_pool.c kernels/simd_peak.c"
for source in $SOURCES; do
  # shellcheck disable=SC2086
  "$CLANG" --target=wasm32 -O3 -msimd128 -mrelaxed-simd -nostdlib -fno-builtin \
    -c -o /tmp/kernels_check.o "$source"
  if "$OBJDUMP" -d /tmp/kernels_check.o | grep -q "global\.[gs]et"; then
    echo "$source uses the C stack (global.get/set of the stack pointer):" >&2
    "$OBJDUMP" -d /tmp/kernels_check.o | grep -B30 "global\.[gs]et" | grep ">:" >&2
    exit 1
  fi
done
rm -f /tmp/kernels_check.o
# shellcheck disable=SC2086
"$CLANG" $FLAGS $SHARED -o kernels.wasm $SOURCES
# shellcheck disable=SC2086
"$CLANG" $FLAGS $SHARED -mrelaxed-simd -o kernels_fma.wasm $SOURCES
# shellcheck disable=SC2086
sha256sum build_kernels.sh kernels/simd.h $SOURCES kernels.wasm kernels_fma.wasm \
  > kernels.sha256
