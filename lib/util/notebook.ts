/**
 * Where the code runs: inside Deno's Jupyter kernel or not.
 *
 * @module
 */

/**
 * Whether the code runs inside Deno's Jupyter kernel (`deno jupyter`).
 * Reading `Deno.jupyter` elsewhere throws, so the check is guarded.
 *
 * @returns `true` in a notebook, `false` in a terminal or a test.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNotebook } from "./notebook.ts";
 *
 * assert.equal(isNotebook(), false);
 * ```
 */
export function isNotebook(): boolean {
  try {
    // deno-lint-ignore no-explicit-any
    return typeof (Deno as any).jupyter?.display === "function";
  } catch {
    return false;
  }
}
