/**
 * Checks an exercise's answer and says so in one line, so a learner knows at
 * once whether they got it (notebook exercises call it).
 *
 * @module
 */

/** Options of {@linkcode checkAnswer}. */
export interface CheckAnswerOptions {
  /**
   * Largest accepted difference between a numeric answer and the expected one.
   * @default {0}
   */
  tolerance?: number;
  /**
   * A hint shown when the answer is wrong.
   * @default {""}
   */
  hint?: string;
}

/**
 * Compares an answer with the expected value (numbers within `tolerance`,
 * anything else by JSON equality) and returns a one-line verdict.
 *
 * @param answer The learner's answer; `undefined` when not attempted yet.
 * @param expected The right answer.
 * @param options Tolerance and hint.
 * @returns `"✓ right: …"`, `"✗ not yet: …"` or `"… not answered yet"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAnswer } from "./check_answer.ts";
 *
 * assert.equal(checkAnswer(448, 448), "✓ right: 448");
 * assert.equal(checkAnswer(0.5, 0.52, { tolerance: 0.05 }), "✓ right: 0.5");
 * assert.equal(checkAnswer(400, 448, { hint: "count the bias" }), "✗ not yet: 400 (count the bias)");
 * assert.equal(checkAnswer(undefined, 448), "… not answered yet");
 * ```
 */
export function checkAnswer<T>(
  answer: T | undefined,
  expected: T,
  options: CheckAnswerOptions = {},
): string {
  const { tolerance = 0, hint = "" } = options;
  if (answer === undefined) return "… not answered yet";
  const right = typeof answer === "number" && typeof expected === "number"
    ? Math.abs(answer - expected) <= tolerance
    : JSON.stringify(answer) === JSON.stringify(expected);
  const shown = JSON.stringify(answer);
  if (right) return `✓ right: ${shown}`;
  return `✗ not yet: ${shown}${hint ? ` (${hint})` : ""}`;
}
