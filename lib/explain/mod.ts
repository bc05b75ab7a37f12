/**
 * Explaining a trained CNN: what does it look at, where does it go wrong,
 * and how does it see the photos? Every function takes any TensorFlow.js
 * layers model with one image input (the gradient methods need a
 * convolution layer) and a photo as its pixel values, and runs on any
 * backend with the gradient kernels of its layers: `cpu`, and the fast
 * backend of `useFastBackend()`.
 *
 * - `saliencyMap`: the gradient of a class score with respect to the pixels,
 *   with SmoothGrad's noisy averaging.
 * - `gradCam`: a convolution layer's maps weighted by their gradients.
 * - `occlusionMap`: the class score's drop under a sliding grey patch (the
 *   logit by default: a saturated probability would not move).
 * - `heatmapOverlay`, `heatmapColors`, `HEATMAP_COLORS`: heatmaps as
 *   pictures, and their colour scale (for `plotColorBar`); each map is
 *   scaled to its own maximum, kept as its `scale`;
 *   `heatInside`, `heatmapCorrelation`: heatmaps as numbers.
 * - `keepRegion`: a photo with only its centre (or only its border) kept,
 *   to measure what the model needs.
 * - `embed`, `projectPca`, `projectUmap`, `nearestNeighbourClasses`: the penultimate
 *   layer's features, drawn in 2-D, and how well they keep classes apart.
 * - `confidentMistakes`, `mostConfusedPair`: where the model is wrong.
 * - `filterPatches`: first-layer kernels as colour patches.
 *
 * Importing this module has no side effects.
 *
 * @example Saliency and Grad-CAM of a tutorial CNN, as a picture over the photo
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { gradCam, heatmapOverlay, saliencyMap } from "./mod.ts";
 *
 * const model = createTutorialCnn({ numClasses: 5, imageSize: [16, 16], seed: 1 });
 * const photo = new Uint8Array(16 * 16 * 3).map((_, i) => (i * 7) % 256);
 * const saliency = saliencyMap(model, photo, { samples: 4, seed: 1 });
 * const cam = gradCam(model, photo, { classIndex: saliency.classIndex });
 * assert.equal(heatmapOverlay(photo, cam).length, photo.length);
 * ```
 *
 * @module
 */
export * from "./heatmap.ts";
export * from "./saliency.ts";
export * from "./grad_cam.ts";
export * from "./occlusion.ts";
export * from "./heatmap_overlay.ts";
export * from "./embed.ts";
export * from "./project_2d.ts";
export * from "./project_umap.ts";
export * from "./mistakes.ts";
export * from "./neighbours.ts";
export * from "./filters.ts";
export * from "./keep_region.ts";
