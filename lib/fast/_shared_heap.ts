// The tfjs wasm backend on a shared heap.
//
// tfjs-backend-wasm's SIMD build defines its own (unshared) memory, so worker
// threads cannot see its tensors and every threaded kernel had to copy its
// inputs into a separate shared memory and its outputs back. Here the
// backend's binary is rewritten, as it is instantiated, to import a shared
// WebAssembly.Memory instead of defining one (same size limits, still
// exported as `memory` for the emscripten glue). The main thread and the
// kernel pool's workers then run our kernels on tfjs' tensors in place:
// a tensor's address is its offset in that memory.
//
// Nothing else changes for tfjs: a shared memory grows the same way, and
// plain (non-atomic) loads and stores behave the same.

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const KIND_MEMORY = 2;
const LIMITS_SHARED = 0x03; // shared, with a maximum
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit
const HEADER_BYTES = 8; // magic + version

/** Reads an unsigned LEB128 number at `at`; returns it and the next offset. */
function readLeb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...leb(bytes.length), ...bytes];
}

/** A wasm binary's memory limits, as defined in its memory section. */
export interface MemoryLimits {
  /** Initial size in 64 KiB pages. */
  initial: number;
  /** Largest size in pages. */
  maximum: number;
}

/**
 * Rewrites a wasm binary that defines one memory so that it imports it as a
 * shared memory `env.memory` instead; returns null when the binary does not
 * define exactly one memory (or already imports one).
 */
export function importSharedMemory(
  bytes: Uint8Array,
): { bytes: Uint8Array; limits: MemoryLimits } | null {
  const sections: { id: number; body: Uint8Array }[] = [];
  let at = HEADER_BYTES;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, start] = readLeb(bytes, at + 1);
    sections.push({ id, body: bytes.subarray(start, start + size) });
    at = start + size;
  }
  const memory = sections.find((s) => s.id === SECTION_MEMORY);
  const imports = sections.find((s) => s.id === SECTION_IMPORT);
  if (memory == null || imports == null) return null;
  const [count, first] = readLeb(memory.body, 0);
  if (count !== 1) return null;
  const flags = memory.body[first];
  const [initial, next] = readLeb(memory.body, first + 1);
  const maximum = flags & 1 ? readLeb(memory.body, next)[0] : MAX_PAGES;
  const limits = { initial, maximum };
  const [importCount, entries] = readLeb(imports.body, 0);
  const memoryImport = [
    ...name("env"),
    ...name("memory"),
    KIND_MEMORY,
    LIMITS_SHARED,
    ...leb(initial),
    ...leb(maximum),
  ];
  const newImports = new Uint8Array([
    ...leb(importCount + 1),
    ...imports.body.subarray(entries),
    ...memoryImport,
  ]);
  const parts: Uint8Array[] = [bytes.subarray(0, HEADER_BYTES)];
  for (const s of sections) {
    if (s.id === SECTION_MEMORY) continue; // the memory is imported now
    const body = s.id === SECTION_IMPORT ? newImports : s.body;
    parts.push(new Uint8Array([s.id, ...leb(body.length)]), body);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return { bytes: out, limits };
}

/** Whether `imports` are those the tfjs wasm backend's emscripten glue passes. */
function isTfjsBackend(imports: WebAssembly.Imports | undefined): boolean {
  const env = imports?.env as Record<string, unknown> | undefined;
  return env != null && "emscripten_resize_heap" in env && !("memory" in env);
}

/**
 * Runs `init` (which starts the tfjs wasm backend) with WebAssembly.instantiate
 * patched so that the backend's module is instantiated on a new shared
 * memory; returns that memory, or null if no backend module was instantiated.
 */
export async function withSharedHeap(
  init: () => Promise<unknown>,
): Promise<WebAssembly.Memory | null> {
  const original = WebAssembly.instantiate;
  let memory: WebAssembly.Memory | null = null;
  const patched = (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) => {
    if (!(source instanceof WebAssembly.Module) && isTfjsBackend(imports)) {
      const view = ArrayBuffer.isView(source)
        ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
        : new Uint8Array(source);
      const rewritten = importSharedMemory(view);
      if (rewritten != null) {
        memory = new WebAssembly.Memory({
          ...rewritten.limits,
          shared: true,
        });
        (imports!.env as Record<string, unknown>).memory = memory;
        return original(rewritten.bytes, imports);
      }
    }
    return original(source as BufferSource, imports);
  };
  WebAssembly.instantiate = patched as typeof WebAssembly.instantiate;
  try {
    await init();
  } finally {
    WebAssembly.instantiate = original;
  }
  return memory;
}
