// The committed kernels*.wasm are built from the committed C sources:
// build_kernels.sh records the SHA-256 of the sources, of itself and of the
// two .wasm files it wrote in lib/fast/kernels.sha256, and every kernel the
// pool calls is exported by both.

import assert from "node:assert/strict";
import { KERNEL_FUNCTIONS } from "../../lib/fast/_kernel_pool.ts";

const FAST = new URL("../../lib/fast/", import.meta.url);
const WASM = ["kernels.wasm", "kernels_fma.wasm"];

/** The lines of kernels.sha256 as [path relative to lib/fast, sha256]. */
async function recorded(): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(new URL("kernels.sha256", FAST));
  const entries = new Map<string, string>();
  for (const line of text.trim().split("\n")) {
    const match = line.match(/^([0-9a-f]{64}) [ *](.+)$/);
    assert.ok(match, `kernels.sha256: not a sha256sum line: ${line}`);
    entries.set(match[2], match[1]);
  }
  return entries;
}

async function sha256(path: string): Promise<string> {
  const bytes = await Deno.readFile(new URL(path, FAST));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

Deno.test("kernels.sha256 matches the C sources, the build script and both .wasm files", async () => {
  const entries = await recorded();
  const sources: string[] = [];
  for await (const entry of Deno.readDir(new URL("kernels/", FAST))) {
    sources.push(`kernels/${entry.name}`);
  }
  for (const path of [...sources, "build_kernels.sh", ...WASM]) {
    assert.ok(
      entries.has(path),
      `lib/fast/${path} is not in kernels.sha256: run lib/fast/build_kernels.sh`,
    );
  }
  for (const [path, hash] of entries) {
    assert.equal(
      await sha256(path),
      hash,
      `lib/fast/${path} changed since the .wasm files were built: run lib/fast/build_kernels.sh`,
    );
  }
});

Deno.test("kernels.wasm and kernels_fma.wasm export every kernel the pool calls", async () => {
  for (const name of WASM) {
    const module = await WebAssembly.compile(
      await Deno.readFile(new URL(name, FAST)),
    );
    const exported = new Set(
      WebAssembly.Module.exports(module).map((e) => e.name),
    );
    const missing = KERNEL_FUNCTIONS.filter((f) => !exported.has(f));
    assert.deepEqual(missing, [], `${name} lacks kernels`);
  }
});
