#!/bin/sh
# Builds the two variants of lib/fast/kernels.c (Debian clang 14 + lld):
# - kernels.wasm imports a *shared* memory (env.memory), so our worker threads
#   run the same kernels on the same data;
# - kernels_local.wasm imports a plain memory: it is instantiated on the tfjs
#   wasm backend's own heap, where memory-bound kernels run without copies.
# Neither has data segments or uses the C stack, so they never write outside
# the arrays they are given.
set -eu
cd "$(dirname "$0")"
FLAGS="--target=wasm32 -O3 -msimd128 -nostdlib -fno-builtin -Wall -Wextra
  -Wl,--no-entry -Wl,--import-memory -Wl,--max-memory=4294967296
  -Wl,--strip-all"
# shellcheck disable=SC2086
clang $FLAGS -matomics -mbulk-memory -Wl,--shared-memory -o kernels.wasm kernels.c
# shellcheck disable=SC2086
clang $FLAGS -o kernels_local.wasm kernels.c
