#!/bin/sh
# Builds lib/fast/kernels.wasm from lib/fast/kernels.c (Debian clang 14 + lld).
# The module imports a shared memory (env.memory) so worker threads can run
# the same kernels on the same data; it has no data segments and no stack use.
set -eu
cd "$(dirname "$0")"
clang --target=wasm32 -O3 -msimd128 -matomics -mbulk-memory -nostdlib \
  -fno-builtin -Wall -Wextra \
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory \
  -Wl,--max-memory=4294967296 -Wl,--strip-all \
  -o kernels.wasm kernels.c
