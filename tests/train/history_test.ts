import assert from "node:assert/strict";
import { normalizeMetrics } from "../../lib/train/history.ts";

Deno.test("normalizeMetrics() maps tfjs' metric names to ours and drops the rest", () => {
  assert.deepEqual(
    normalizeMetrics({
      loss: 0.5,
      accuracy: 0.75,
      val_loss: 0.6,
      val_accuracy: 0.7,
      batch: 3,
      size: 32,
    }),
    { loss: 0.5, acc: 0.75, val_loss: 0.6, val_acc: 0.7 },
  );
  assert.deepEqual(normalizeMetrics(undefined), {});
});
