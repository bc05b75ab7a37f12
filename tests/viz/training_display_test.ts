import assert from "node:assert/strict";
import {
  formatEpochProgress,
  plotTrainingProgress,
  trainingDisplay,
} from "../../lib/viz/training_display.ts";
import { plotHistory } from "../../lib/viz/plot.ts";
import type { TrainingHistory } from "../../lib/train/history.ts";

const begin = (epochs: number, initialEpoch = 0) => ({
  epochs,
  initialEpoch,
  numBatches: 4,
  history: { loss: [], acc: [], seconds: [] },
});

Deno.test("trainingDisplay() prints one line per epoch in plain mode, no bar", async () => {
  const lines: string[] = [];
  const written: string[] = [];
  const [display] = trainingDisplay({
    progress: "plain",
    chart: false,
    log: (l) => lines.push(l),
    write: (t) => written.push(t),
  });
  const history: TrainingHistory = { loss: [], acc: [], seconds: [] };
  await display.onTrainBegin?.(begin(2));
  for (const epoch of [1, 2]) {
    await display.onEpochBegin?.(epoch);
    for (let b = 1; b <= 4; b++) await display.onBatchEnd?.(b, { loss: 1 });
    history.loss.push(1 / epoch);
    history.acc.push(0.5);
    history.seconds.push(4);
    await display.onEpochEnd?.(epoch, history);
  }
  assert.deepEqual(lines, [
    "Epoch 1/2  4/4  4.0s 1.0s/step  loss 1.0000  acc 0.5000",
    "Epoch 2/2  4/4  4.0s 1.0s/step  loss 0.5000  acc 0.5000",
  ]);
  assert.deepEqual(written, []);
});

Deno.test("trainingDisplay() says when a run resumes", async () => {
  const lines: string[] = [];
  const [display] = trainingDisplay({
    progress: "plain",
    chart: false,
    log: (l) => lines.push(l),
  });
  await display.onTrainBegin?.(begin(15, 4));
  assert.deepEqual(lines, ["Resuming from epoch 4 of 15"]);
});

Deno.test("trainingDisplay() rewrites the chart file after every epoch", async () => {
  const path = `${await Deno.makeTempDir()}/history.svg`;
  const [display] = trainingDisplay({
    progress: "silent",
    chartPath: path,
  });
  const history: TrainingHistory = { loss: [], acc: [], seconds: [] };
  const segments: number[] = [];
  await display.onTrainBegin?.(begin(3));
  for (const epoch of [1, 2, 3]) {
    history.loss.push(1 / epoch);
    history.acc.push(epoch / 4);
    history.seconds.push(1);
    await display.onEpochEnd?.(epoch, history);
    const svg = await Deno.readTextFile(path);
    const paths = [...svg.matchAll(/ d="(M[^"]*)"/g)].map((m) => m[1]);
    segments.push(paths.join("").split("L").length);
  }
  // The chart grows by one segment per line and epoch.
  assert.ok(segments[0] < segments[1] && segments[1] < segments[2]);
});

Deno.test("formatEpochProgress() fits in 95 columns with all metrics", () => {
  const line = formatEpochProgress(12, 15, 45, 92, 30, {
    loss: 0.91234,
    acc: 0.64,
  });
  assert.equal(
    line,
    "Epoch 12/15 [=========>          ] 45/92 ETA 31s  loss 0.9123  acc 0.6400",
  );
  assert.ok(line.length <= 95);
});

Deno.test("plotTrainingProgress() adds a learning-rate panel only when the rate changes", () => {
  const base = {
    loss: [1, 0.5, 0.4],
    acc: [0.5, 0.6, 0.7],
    seconds: [1, 1, 1],
  };
  // A constant rate: exactly the history chart.
  // (Plot numbers its markers globally: the numbers are left out.)
  const svg = (figure: { svg: string }) =>
    figure.svg.replace(/plot-marker-\d+/g, "plot-marker");
  const constant = plotTrainingProgress({ ...base, lr: [1e-3, 1e-3, 1e-3] });
  assert.equal(svg(constant), svg(plotHistory(base)));
  assert.equal(svg(plotTrainingProgress(base)), svg(plotHistory(base)));
  // A changing one: the history chart on top, a "learning rate" panel below.
  const changing = plotTrainingProgress({ ...base, lr: [1e-3, 1e-3, 1e-4] });
  assert.ok(changing.svg.includes("↑ learning rate"));
  assert.ok(!constant.svg.includes("learning rate"));
  assert.ok(changing.height > plotHistory(base).height);
});

Deno.test("trainingDisplay() shows the learning rate in the chart file and the epoch lines once it changes", async () => {
  const path = `${await Deno.makeTempDir()}/history.svg`;
  const lines: string[] = [];
  const [display] = trainingDisplay({
    progress: "plain",
    chartPath: path,
    log: (l) => lines.push(l),
  });
  const history: TrainingHistory = {
    loss: [],
    acc: [],
    seconds: [],
    lr: [],
  };
  await display.onTrainBegin?.(begin(2));
  for (const [epoch, lr] of [[1, 1e-3], [2, 1e-4]]) {
    history.loss.push(1 / epoch);
    history.acc.push(0.5);
    history.seconds.push(4);
    history.lr!.push(lr);
    await display.onEpochEnd?.(epoch, history);
    const svg = await Deno.readTextFile(path);
    assert.equal(svg.includes("↑ learning rate"), epoch === 2);
  }
  assert.deepEqual(lines, [
    "Epoch 1/2  4/4  4.0s 1.0s/step  loss 1.0000  acc 0.5000",
    "Epoch 2/2  4.0s  loss 0.5000  acc 0.5000  lr 1.0e-4",
  ]);
});
