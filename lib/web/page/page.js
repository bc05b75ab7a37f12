// @ts-check
/// <reference lib="dom" />
/**
 * The web page's script: loads the exported model with stock TensorFlow.js,
 * then classifies the photo a person chooses or drops (or the one named by
 * `?image=URL` or `#image=URL`) and shows the top-5 classes as bars drawn
 * with Observable Plot.
 *
 * The preprocessing is the notebook's: the photo is decoded to RGB bytes (a
 * canvas, with the browser's colour management turned off so the bytes are
 * the file's), resized bilinearly to the model's input size with the same
 * code as `predictImage` in Deno (`resize.js`), and given to the model as
 * 0..255 values: the model rescales them itself. So the browser and
 * `deno task predict` agree.
 *
 * `tf` and `Plot` are globals set by the `<script>` tags of `index.html`
 * (tfjs' and Plot's browser bundles, served from the project's
 * `node_modules`). Plain JavaScript with JSDoc types: browsers run it as is.
 *
 * @module
 */
import { resizeBilinearRgb, rgbaToRgb } from "./resize.js";

/** @type {typeof import("@tensorflow/tfjs")} */
const tf = /** @type {any} */ (globalThis).tf;
/** @type {typeof import("@observablehq/plot")} */
const Plot = /** @type {any} */ (globalThis).Plot;

/** Where the server puts the exported model, relative to the page. */
const MODEL_URL = "model/model.json";
/** Classes shown as bars. */
const TOP_K = 5;
/**
 * Class colours: class `i` gets colour `i` (starting over past the end), as
 * in every chart of the notebooks. The same list as `CLASS_PALETTE` in
 * `lib/viz/palette.ts` (Okabe–Ito's colour-blind-safe colours); a test
 * checks that they match.
 */
const CLASS_PALETTE = [
  "#0072B2",
  "#E69F00",
  "#CC79A7",
  "#009E73",
  "#D55E00",
  "#56B4E9",
  "#F0E442",
  "#999999",
];
/** URL schemes `?image=` accepts. */
const IMAGE_URL_SCHEMES = ["http:", "https:", "data:"];

/**
 * @typedef {object} Classifier
 * @property {import("@tensorflow/tfjs").LayersModel} model The exported CNN (outputs logits).
 * @property {string[]} classNames Class names, index = output unit.
 * @property {number} height Input height in pixels.
 * @property {number} width Input width in pixels.
 */

/**
 * @typedef {object} ClassProbability
 * @property {string} className Class name.
 * @property {number} index Class index (its output unit, and its colour).
 * @property {number} probability Softmax probability in [0, 1].
 */

/**
 * The element with this id (the page always has it).
 *
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (element == null) throw new Error(`Cannot find #${id} in the page`);
  return element;
}

/**
 * Tells tests and styles what the page is doing: loading, ready, busy, done
 * or error.
 *
 * @param {string} state
 */
function setState(state) {
  document.body.dataset.state = state;
}

/**
 * Shows a problem in the page, where a person sees it, and clears the last
 * result so it is not mistaken for this photo's.
 *
 * @param {string} text
 */
function showError(text) {
  const message = byId("message");
  message.textContent = text;
  message.hidden = false;
  byId("result").hidden = true;
  byId("prediction").textContent = "";
  setState("error");
}

/**
 * Loads the model and reads the class names and input size that
 * `exportForWeb()` put in its metadata.
 *
 * @returns {Promise<Classifier>}
 */
async function loadClassifier() {
  const model = await tf.loadLayersModel(MODEL_URL);
  const metadata =
    /** @type {{ classNames?: string[], imageSize?: number[] }} */ (
      model.getUserDefinedMetadata() ?? {}
    );
  const { classNames, imageSize } = metadata;
  if (!Array.isArray(classNames) || !Array.isArray(imageSize)) {
    throw new Error(
      `Cannot use the model: its metadata has no classNames and imageSize (export it with exportForWeb()), received ${
        JSON.stringify(metadata)
      }`,
    );
  }
  const [height, width] = imageSize;
  // The first prediction compiles the backend's kernels (shaders on WebGL);
  // doing it now, and waiting for its result, keeps that out of the time
  // shown for the first photo.
  const warmUp = tf.tidy(
    () => /** @type {import("@tensorflow/tfjs").Tensor} */ (
      model.predict(tf.zeros([1, height, width, 3]))
    ),
  );
  await warmUp.data();
  warmUp.dispose();
  return { model, classNames, height, width };
}

/**
 * Decodes an image file into the `#photo` canvas (which also shows it) and
 * returns its RGB bytes. Colour-space conversion and alpha premultiplication
 * are turned off so the bytes are the file's own, as the Deno decoder reads
 * them.
 *
 * @param {Blob} blob The file.
 * @param {string} name How to name the file in an error message.
 * @returns {Promise<{ rgb: Uint8Array, height: number, width: number }>}
 */
async function decodePhoto(blob, name) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
  } catch {
    throw new Error(
      `Cannot classify the photo: the browser cannot decode it as an image, received ${name}`,
    );
  }
  const canvas = /** @type {HTMLCanvasElement} */ (byId("photo"));
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (context == null) throw new Error("Cannot draw the photo: no 2D canvas");
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  return { rgb: rgbaToRgb(data), height: canvas.height, width: canvas.width };
}

/**
 * Runs the model on resized RGB bytes and turns its logits into
 * probabilities with softmax, most likely class first.
 *
 * @param {Classifier} classifier
 * @param {Uint8Array} pixels `height * width * 3` bytes at the model's size.
 * @returns {Promise<ClassProbability[]>}
 */
async function predict(classifier, pixels) {
  const { model, classNames, height, width } = classifier;
  // tf.tidy frees the intermediate tensors; only `probabilities` survives.
  const probabilities = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(pixels), [1, height, width, 3]);
    return tf.softmax(
      /** @type {import("@tensorflow/tfjs").Tensor2D} */ (
        model.predict(x)
      ),
    );
  });
  const values = Array.from(await probabilities.data());
  probabilities.dispose();
  return values
    .map((probability, index) => ({
      className: classNames[index],
      index,
      probability,
    }))
    .sort((a, b) => b.probability - a.probability);
}

/**
 * The top classes as horizontal bars, probability on a 0–1 axis, each in
 * its class's colour.
 *
 * @param {ClassProbability[]} top
 * @returns {SVGSVGElement | HTMLElement}
 */
function probabilityBars(top) {
  return Plot.plot({
    width: 440,
    height: 50 + 28 * top.length,
    marginLeft: 100,
    marginRight: 50,
    x: { domain: [0, 1], label: "probability", grid: true },
    y: { domain: top.map((t) => t.className), label: null },
    marks: [
      Plot.barX(top, {
        x: "probability",
        y: "className",
        fill: (/** @type {ClassProbability} */ t) =>
          CLASS_PALETTE[t.index % CLASS_PALETTE.length],
      }),
      Plot.text(top, {
        x: "probability",
        y: "className",
        text: (/** @type {ClassProbability} */ t) => t.probability.toFixed(3),
        textAnchor: "start",
        dx: 4,
      }),
      Plot.ruleX([0]),
    ],
  });
}

/**
 * Classifies one image file and shows the photo, the bars, the time taken
 * and the top-1 line; any problem is shown in the page instead.
 *
 * @param {Classifier} classifier
 * @param {Blob} blob
 * @param {string} name
 */
async function classify(classifier, blob, name) {
  setState("busy");
  byId("message").hidden = true;
  try {
    const decodeStart = performance.now();
    const photo = await decodePhoto(blob, name);
    const pixels = resizeBilinearRgb(
      photo.rgb,
      photo.height,
      photo.width,
      classifier.height,
      classifier.width,
    );
    const predictStart = performance.now();
    const ranked = await predict(classifier, pixels);
    const predictMs = performance.now() - predictStart;
    const decodeMs = predictStart - decodeStart;

    const [best] = ranked;
    byId("prediction").textContent = `${best.className} ${
      best.probability.toFixed(4)
    }`;
    byId("chart").replaceChildren(probabilityBars(ranked.slice(0, TOP_K)));
    byId("timing").textContent = `Prediction: ${
      predictMs.toFixed(1)
    } ms on tfjs' ${tf.getBackend()} backend (decoding and resizing the ${photo.width}×${photo.height} photo to ${classifier.width}×${classifier.height}: ${
      decodeMs.toFixed(1)
    } ms)`;
    byId("result").hidden = false;
    setState("done");
  } catch (error) {
    showError(/** @type {Error} */ (error).message);
  }
}

/**
 * Fetches the image named by `?image=` (an http(s) URL that allows
 * cross-origin reads, or a `data:` URL) and classifies it.
 *
 * @param {Classifier} classifier
 * @param {string} url
 */
async function classifyUrl(classifier, url) {
  let parsed;
  try {
    parsed = new URL(url, location.href);
  } catch {
    showError(`Cannot classify ?image=: not a URL, received ${url}`);
    return;
  }
  if (!IMAGE_URL_SCHEMES.includes(parsed.protocol)) {
    showError(
      `Cannot classify ?image=: the URL must start with http:, https: or data:, received ${
        url.slice(0, 60)
      }`,
    );
    return;
  }
  const name = parsed.protocol === "data:" ? "the data: URL" : parsed.href;
  let blob;
  try {
    const response = await fetch(parsed);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    blob = await response.blob();
  } catch (error) {
    showError(
      `Cannot fetch the image: ${
        /** @type {Error} */ (error).message
      } (a photo on another site must allow cross-origin reads), received ${name}`,
    );
    return;
  }
  await classify(classifier, blob, name);
}

/**
 * Connects the file chooser and drag-and-drop to the classifier.
 *
 * @param {Classifier} classifier
 */
function wireInputs(classifier) {
  const input = /** @type {HTMLInputElement} */ (byId("file"));
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (file) await classify(classifier, file, file.name);
    input.value = ""; // so choosing the same file again fires "change"
  });
  // A photo dropped anywhere on the page is classified (instead of the
  // browser opening it); the drop zone lights up while one is dragged over.
  const drop = byId("drop");
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  document.addEventListener("dragleave", (event) => {
    if (event.relatedTarget == null) drop.classList.remove("over");
  });
  document.addEventListener("drop", async (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const file = event.dataTransfer?.files[0];
    if (file) await classify(classifier, file, file.name);
  });
}

async function main() {
  let classifier;
  try {
    classifier = await loadClassifier();
  } catch (error) {
    byId("status").textContent = "The model could not be loaded.";
    showError(/** @type {Error} */ (error).message);
    return;
  }
  const { classNames, height, width } = classifier;
  byId("status").textContent = `Model ready: ${classNames.length} classes (${
    classNames.join(", ")
  }), photos resized to ${width}×${height}, TensorFlow.js ${tf.version.tfjs} on the ${tf.getBackend()} backend.`;
  wireInputs(classifier);
  setState("ready");
  // `?image=URL`, or `#image=URL` for a data: URL longer than the 64 KB a
  // server accepts in a request line (the part after # stays in the browser).
  const hashImage = () =>
    new URLSearchParams(location.hash.slice(1)).get("image");
  addEventListener("hashchange", async () => {
    const image = hashImage();
    if (image) await classifyUrl(classifier, image);
  });
  const image = new URLSearchParams(location.search).get("image") ??
    hashImage();
  if (image) await classifyUrl(classifier, image);
}

main();
