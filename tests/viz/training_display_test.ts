import assert from "node:assert/strict";
import {
  formatEpochProgress,
  plotTrainingProgress,
  trainingDisplay,
} from "../../lib/viz/training_display.ts";
import { plotHistory } from "../../lib/viz/plot.ts";
import { ProgressBar } from "../../lib/util/progress.ts";
import { axisTicks } from "./_svg_axes.ts";
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
    "Epoch 12/15 [=========>          ] 45/92 2/s ETA 31s loss 0.9123  acc 0.6400",
  );
  assert.ok(line.length <= 95);
});

Deno.test("formatEpochProgress() is the ProgressBar of lib/util/progress.ts with the metrics after it", () => {
  for (const [batch, seconds] of [[0, 0], [1, 0.5], [45, 30], [92, 61]]) {
    let now = 0;
    const bar = new ProgressBar(92, {
      label: "Epoch 3/15",
      width: 20,
      mode: "silent",
      now: () => now,
    });
    now = seconds * 1000;
    bar.update(batch);
    assert.equal(
      formatEpochProgress(3, 15, batch, 92, seconds, { loss: 0.5 }),
      bar.render("loss 0.5000"),
    );
  }
});

Deno.test("trainingDisplay() redraws the epoch's bar in place in a terminal, then prints the epoch line", async () => {
  const lines: string[] = [];
  const written: string[] = [];
  const [display] = trainingDisplay({
    progress: "tty",
    chart: false,
    log: (l) => lines.push(l),
    write: (t) => written.push(t),
  });
  await display.onTrainBegin?.(begin(1));
  await display.onEpochBegin?.(1);
  await display.onBatchEnd?.(1, { loss: 2 });
  // The last batch is drawn even within the redraw interval.
  await display.onBatchEnd?.(4, { loss: 1 });
  await display.onEpochEnd?.(1, { loss: [1], acc: [0.5], seconds: [4] });
  assert.equal(written.length, 3);
  // Each bar is redrawn over the line: a carriage return first, a clear-to-end last.
  const bars = written.slice(0, 2).map((text) => {
    assert.ok(text.startsWith("\r") && text.endsWith("\x1b[K"), text);
    return text.slice(1, -3);
  });
  assert.match(
    bars[0],
    /^Epoch 1\/1 \[====> {15}\] 1\/4 \d+\/s ETA \S+ loss 2\.0000$/,
  );
  assert.match(
    bars[1],
    /^Epoch 1\/1 \[={20}\] 4\/4 \d+\/s ETA \S+ loss 1\.0000$/,
  );
  assert.equal(written[2], "\r\x1b[K");
  assert.deepEqual(lines, [
    "Epoch 1/1  4/4  4.0s 1.0s/step  loss 1.0000  acc 0.5000",
  ]);
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
  // The panel sits below the history chart, its epochs ticked as the chart's.
  assert.match(
    changing.svg,
    new RegExp(`<svg x="0" y="${plotHistory(base).height}"`),
  );
  assert.deepEqual(axisTicks(changing.svg, "x"), [
    ["1", "2", "3"],
    ["1", "2", "3"],
    ["1", "2", "3"],
  ]);
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
