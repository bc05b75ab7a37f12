import assert from "node:assert/strict";
import { checkAnswer } from "../../lib/util/check_answer.ts";

Deno.test("checkAnswer() accepts numbers within the tolerance", () => {
  assert.equal(checkAnswer(22, 22), "✓ right: 22");
  assert.equal(checkAnswer(0.995, 1, { tolerance: 0.01 }), "✓ right: 0.995");
  assert.equal(checkAnswer(0.9, 1, { tolerance: 0.01 }), "✗ not yet: 0.9");
});

Deno.test("checkAnswer() compares other values as JSON and shows the hint", () => {
  assert.equal(checkAnswer([22, 8], [22, 8]), "✓ right: [22,8]");
  assert.equal(
    checkAnswer("a", "b", { hint: "try b" }),
    '✗ not yet: "a" (try b)',
  );
  assert.equal(checkAnswer(undefined, 1), "… not answered yet");
});
