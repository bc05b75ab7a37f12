/**
 * The training stage: a training loop that reports through callbacks (it
 * knows nothing of charts or progress bars; the `viz` stage provides those)
 * and refuses a model that does not fit its data (one output per class),
 * the per-epoch `History` record, checkpoints that let a stopped run continue
 * exactly where it was (`trainWithCheckpoints`), learning-rate schedules,
 * AdamW, Keras' early stopping, reduce-on-plateau and best-model callbacks,
 * evaluation (accuracy, confusion matrix, top-k predictions for one photo),
 * a run's weights at an earlier epoch (`restoreEpoch`), and whether two
 * models differ on the same photos by more than chance (`mcnemarTest`).
 *
 * @example A confusion matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { confusionMatrix } from "./mod.ts";
 *
 * assert.deepEqual(confusionMatrix([0, 1, 1], [0, 1, 0], 2), [[1, 0], [1, 1]]);
 * ```
 *
 * @module
 */
export * from "./batch_source.ts";
export * from "./train.ts";
export * from "./evaluate.ts";
export * from "./history.ts";
export * from "./callbacks.ts";
export * from "./run_fingerprint.ts";
export * from "./checkpoint.ts";
export * from "./model_checkpoint.ts";
export * from "./train_with_checkpoints.ts";
export * from "./schedule.ts";
export * from "./learning_rate_range_test.ts";
export * from "./adamw.ts";
export * from "./early_stopping.ts";
export * from "./reduce_lr_on_plateau.ts";
export * from "./best_model_checkpoint.ts";
export type { MonitoredMetric, MonitorMode } from "./_monitor.ts";
export * from "./predict_dataset.ts";
export * from "./accuracy_noise.ts";
export * from "./mcnemar.ts";
export * from "./restore_epoch.ts";
export * from "./run_folders.ts";
export * from "./better_recipe.ts";
export * from "./pretrained_model.ts";
