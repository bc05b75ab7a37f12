import assert from "node:assert/strict";
import {
  epochLogger,
  formatEpochLine,
  formatMetrics,
  formatStepTime,
  lastMetrics,
} from "../../lib/train/callbacks.ts";

Deno.test("formatStepTime() uses ms below a second", () => {
  assert.equal(formatStepTime(0.6744), "674ms/step");
  assert.equal(formatStepTime(1.31), "1.3s/step");
});

Deno.test("formatMetrics() keeps Keras' order and skips missing ones", () => {
  assert.equal(
    formatMetrics({ val_acc: 0.5, loss: 1.23456 }),
    "loss 1.2346  val_acc 0.5000",
  );
});

Deno.test("formatEpochLine() rounds the epoch's time before splitting it into minutes and seconds", () => {
  const metrics = { loss: 0.91, acc: 0.64 };
  assert.equal(
    formatEpochLine(2, 15, 10, 119.6, metrics),
    "Epoch 2/15  10/10  2m00s 12.0s/step  loss 0.9100  acc 0.6400",
  );
  assert.equal(
    formatEpochLine(2, 15, 10, 3599.7, { ...metrics, lr: 1e-3 }),
    "Epoch 2/15  1h00m  loss 0.9100  acc 0.6400  lr 1.0e-3",
  );
});

Deno.test("formatEpochLine() fits a 95-column output area at 15 epochs", () => {
  const line = formatEpochLine(15, 15, 92, 3600 * 2, {
    loss: 1.123,
    acc: 0.99,
    val_loss: 12.5,
    val_acc: 0.75,
  });
  assert.ok(line.length <= 95, `${line.length}: ${line}`);
});

Deno.test("epochLogger() prints the last epoch of the history", async () => {
  const lines: string[] = [];
  const logger = epochLogger((l) => lines.push(l));
  const history = { loss: [2, 1], acc: [0.25, 0.5], seconds: [10, 8] };
  await logger.onTrainBegin?.({
    epochs: 2,
    initialEpoch: 0,
    numBatches: 8,
    history,
  });
  await logger.onEpochEnd?.(2, history);
  assert.deepEqual(lines, [
    "Epoch 2/2  8/8  8.0s 1.0s/step  loss 1.0000  acc 0.5000",
  ]);
  assert.deepEqual(lastMetrics(history), { loss: 1, acc: 0.5 });
});

Deno.test("formatEpochLine() shows the learning rate within 95 columns", () => {
  const line = formatEpochLine(100, 100, 920, 3600 * 2, {
    loss: 1.123,
    acc: 0.99,
    val_loss: 12.5,
    val_acc: 0.75,
    lr: 1.234e-4,
  });
  assert.equal(
    line,
    "Epoch 100/100  2h00m  loss 1.1230  acc 0.9900  val_loss 12.5000  val_acc 0.7500  lr 1.2e-4",
  );
  assert.ok(line.length <= 95, `${line.length}: ${line}`);
});

Deno.test("lastMetrics() includes the learning rate only once it has changed", () => {
  const base = { loss: [2, 1], acc: [0.25, 0.5], seconds: [10, 8] };
  assert.deepEqual(lastMetrics({ ...base, lr: [1e-3, 1e-3] }), {
    loss: 1,
    acc: 0.5,
  });
  assert.deepEqual(lastMetrics({ ...base, lr: [1e-3, 1e-4] }), {
    loss: 1,
    acc: 0.5,
    lr: 1e-4,
  });
});
