#!/bin/sh
# Builds the wasm variants of lib/fast/kernels.c with clang 16 + lld 16
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
set -eu
cd "$(dirname "$0")"
CLANG="${CLANG:-clang-16}"
FLAGS="--target=wasm32 -O3 -msimd128 -nostdlib -fno-builtin -Wall -Wextra
  -fuse-ld=lld -Wl,--no-entry -Wl,--import-memory
  -Wl,--max-memory=4294967296 -Wl,--strip-all"
SHARED="-matomics -mbulk-memory -Wl,--shared-memory"
OBJDUMP="${OBJDUMP:-llvm-objdump-16}"
# shellcheck disable=SC2086
"$CLANG" --target=wasm32 -O3 -msimd128 -mrelaxed-simd -nostdlib -fno-builtin \
  -c -o /tmp/kernels_check.o kernels.c
if "$OBJDUMP" -d /tmp/kernels_check.o | grep -q "global\.[gs]et"; then
  echo "kernels.c uses the C stack (global.get/set of the stack pointer):" >&2
  "$OBJDUMP" -d /tmp/kernels_check.o | grep -B30 "global\.[gs]et" | grep ">:" >&2
  exit 1
fi
rm -f /tmp/kernels_check.o
# shellcheck disable=SC2086
"$CLANG" $FLAGS $SHARED -o kernels.wasm kernels.c
# shellcheck disable=SC2086
"$CLANG" $FLAGS $SHARED -mrelaxed-simd -o kernels_fma.wasm kernels.c
