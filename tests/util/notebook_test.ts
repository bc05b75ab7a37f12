import assert from "node:assert/strict";
import { isNotebook } from "../../lib/util/notebook.ts";

Deno.test("isNotebook() is false outside Deno's Jupyter kernel", () => {
  assert.equal(isNotebook(), false);
});
