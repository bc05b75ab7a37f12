/**
 * The notebooks as a learner sees them: opened in a real Jupyter frontend
 * (classic Notebook from Debian's `jupyter-notebook`) in headless Chromium,
 * driven with puppeteer-core, on a server whose trust database is empty, so
 * every notebook opens *Not Trusted* as in a fresh clone.
 *
 * - Every committed notebook: each figure output is drawn as a picture (an
 *   `<img>` or `<svg>`, never its text fallback), no output is hidden (an
 *   untrusted frontend drops Markdown without a text/plain fallback), no
 *   output is wider than its area (text lines that wrap are listed as a
 *   warning), and a screenshot is taken (`<notebook>.png`, see below).
 * - Notebook 2 runs top to bottom in quick mode in the page, and its training
 *   cell's outputs are updated in place: their count does not grow per epoch.
 *
 * The screenshots go to a new temporary folder (its path is printed), so a
 * test run leaves the committed `docs/screenshots/` alone; set
 * `CNN_WRITE_SCREENSHOTS=1` to refresh those instead:
 *
 * ```sh
 * CNN_WRITE_SCREENSHOTS=1 deno test -A tests/notebooks/frontend_test.ts
 * ```
 *
 * Set `FRONTEND_NOTEBOOKS=DIR` to open the notebooks of another folder (for
 * example freshly executed copies); their screenshots then go to
 * `out/frontend/`. Needs Chromium (`CHROMIUM`, default `/usr/bin/chromium`),
 * the Notebook server and the Deno kernel; when one is missing the tests are
 * skipped with a warning.
 */
import assert from "node:assert/strict";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import {
  frontendMissing,
  type JupyterServer,
  startJupyter,
} from "./_jupyter_server.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const CHROMIUM = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
const SOURCE_DIR = Deno.env.get("FRONTEND_NOTEBOOKS") ?? `${ROOT}/notebooks`;
/** The committed screenshots, rewritten only when asked. */
const COMMITTED_SCREENSHOTS = `${ROOT}/docs/screenshots`;

/**
 * Where this run saves the notebooks' screenshots: `out/frontend/` for the
 * notebooks of FRONTEND_NOTEBOOKS, `docs/screenshots/` when
 * CNN_WRITE_SCREENSHOTS=1, else a new temporary folder.
 */
async function screenshotDir(): Promise<string> {
  if (Deno.env.get("FRONTEND_NOTEBOOKS")) return `${ROOT}/out/frontend`;
  if (Deno.env.get("CNN_WRITE_SCREENSHOTS") === "1") {
    return COMMITTED_SCREENSHOTS;
  }
  return await Deno.makeTempDir({ prefix: "cnn_screenshots_" });
}
/** A laptop-sized window: the notebook's output area is then ~980 px wide. */
const VIEWPORT = { width: 1280, height: 900 };
/** Device pixels per CSS pixel of the saved screenshots. */
const SCREENSHOT_SCALE = 0.75;
/** Most seconds notebook 2 may take in quick mode in the page (about 3 minutes alone on 2 cores; CI runs test files in parallel). */
const RUN_TIMEOUT_S = 900;
const DEFAULT_FLOWER_URL = `file://${ROOT}/../shared/data/flower_photos.tgz`;

const missing = await frontendMissing(CHROMIUM);
if (missing) {
  console.warn(
    `\n!!! FRONTEND TESTS SKIPPED: missing ${missing}.\n` +
      "!!! CI installs them (.ci/run); locally: apt-get install jupyter-notebook chromium\n",
  );
}

const notebooks = [...Deno.readDirSync(SOURCE_DIR)]
  .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
  .map((e) => e.name)
  .sort();

/** What the page reports about one opened notebook. */
interface PageReport {
  trusted: boolean;
  figures: number;
  drawn: number;
  problems: string[];
  wrapped: string[];
}

/**
 * Runs in the page: checks every output of every code cell. A figure is an
 * output with image data (or HTML holding an image); it counts as drawn when
 * the frontend shows it as a loaded `<img>` or an `<svg>`.
 */
const INSPECT = `(() => {
  const nb = Jupyter.notebook;
  const report = { trusted: nb.trusted, figures: 0, drawn: 0, problems: [], wrapped: [] };
  const probe = document.createElement("pre");
  probe.style.cssText = "position:absolute;visibility:hidden;white-space:pre";
  probe.textContent = "0".repeat(100);
  document.querySelector(".output_subarea, #notebook-container").appendChild(probe);
  const charWidth = probe.getBoundingClientRect().width / 100;
  probe.remove();
  nb.get_cells().forEach((cell, c) => {
    if (cell.cell_type !== "code") return;
    const where = "cell " + c + " (" + cell.get_text().split("\\n")[0].slice(0, 50) + ")";
    const areas = cell.output_area.element.children(".output_area").toArray();
    cell.output_area.outputs.forEach((out, o) => {
      const data = out.data || {};
      const sub = areas[o] && areas[o].querySelector(".output_subarea");
      if (!sub) {
        report.problems.push(where + ": output " + o + " (" + Object.keys(data).join(", ") +
          ") is not shown: untrusted frontends drop it; give it a text/plain fallback");
        return;
      }
      const html = data["text/html"] || "";
      const figure = ["image/png", "image/jpeg", "image/svg+xml"].some((k) => k in data) ||
        /<svg|<img/.test(html);
      if (figure) {
        report.figures++;
        const img = sub.querySelector("img");
        const svg = sub.querySelector("svg");
        const ok = (img && img.complete && img.naturalWidth > 0) || (svg && !sub.classList.contains("output_text"));
        if (ok) report.drawn++;
        else report.problems.push(where + ": figure " + o + " shown as " + sub.className +
          ": " + JSON.stringify(sub.textContent.slice(0, 80)));
      }
      if (sub.scrollWidth > sub.clientWidth + 1) {
        report.problems.push(where + ": output " + o + " is " + sub.scrollWidth +
          " px wide in a " + sub.clientWidth + " px area");
      }
      for (const el of sub.querySelectorAll("img, svg")) {
        const w = el.getBoundingClientRect().width;
        if (w > sub.clientWidth + 1) {
          report.problems.push(where + ": picture " + o + " is " + Math.round(w) +
            " px wide in a " + sub.clientWidth + " px area");
        }
      }
      const pre = sub.querySelector("pre");
      if (pre) {
        const columns = Math.floor(pre.clientWidth / charWidth);
        for (const line of pre.textContent.split("\\n")) {
          if (line.length > columns) {
            report.wrapped.push(where + ": " + line.length + " > " + columns + " columns: " + line.slice(0, 60));
          }
        }
      }
    });
  });
  return report;
})()`;

/** Opens a notebook and waits until the frontend has drawn its outputs. */
async function openNotebook(
  page: Page,
  server: JupyterServer,
  name: string,
): Promise<void> {
  await page.goto(
    `${server.url}/notebooks/${encodeURIComponent(name)}?token=${server.token}`,
    { waitUntil: "networkidle2", timeout: 60_000 },
  );
  await page.waitForFunction(
    "window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded",
    { timeout: 60_000 },
  );
  // Let the images decode.
  await page.evaluate(
    "Promise.all([...document.images].map((i) => i.decode().catch(() => {})))",
  );
}

/**
 * The whole notebook as one picture (the page scrolls inside #site), at
 * 0.75 device pixels per CSS pixel: the same layout, a smaller file.
 */
async function screenshot(page: Page, path: string): Promise<void> {
  await page.setViewport({ ...VIEWPORT, deviceScaleFactor: SCREENSHOT_SCALE });
  await page.addStyleTag({
    content:
      "html, body, #site { height: auto !important; overflow: visible !important; }",
  });
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
}

/** Starts the server on copies of the notebooks and a browser. */
async function setUp(
  env: Record<string, string> = {},
): Promise<
  {
    server: JupyterServer;
    browser: Browser;
    dir: string;
    done(): Promise<void>;
  }
> {
  // Copies one level under the repository, so `../lib/mod.ts` resolves and
  // the kernel finds deno.json, while the committed files stay untouched
  // (the frontend autosaves what it opens).
  const dir = await Deno.makeTempDir({ dir: ROOT, prefix: ".frontend_" });
  for (const name of notebooks) {
    await Deno.copyFile(`${SOURCE_DIR}/${name}`, `${dir}/${name}`);
  }
  let server: JupyterServer | undefined;
  let browser: Browser;
  try {
    server = await startJupyter(dir, env);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
  } catch (error) {
    await server?.stop();
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  return {
    server,
    browser,
    dir,
    async done() {
      await browser.close();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test({
  name:
    "every notebook opened untrusted draws each figure as a picture, within its area",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const { browser, server, done } = await setUp();
    const screenshots = await screenshotDir();
    console.log(`screenshots: ${screenshots}`);
    try {
      let figures = 0, drawn = 0;
      for (const name of notebooks) {
        await t.step(name, async () => {
          const page = await browser.newPage();
          await page.setViewport(VIEWPORT);
          try {
            await openNotebook(page, server, name);
            const report = await page.evaluate(INSPECT) as PageReport;
            figures += report.figures;
            drawn += report.drawn;
            console.log(
              `${name}: ${report.drawn} of ${report.figures} figures drawn untrusted`,
            );
            if (report.wrapped.length) {
              console.warn(
                `${name}: text lines wider than the output area, wrapped mid-line:\n  ${
                  report.wrapped.join("\n  ")
                }`,
              );
            }
            await screenshot(
              page,
              `${screenshots}/${name.replace(/\.ipynb$/, "")}.png`,
            );
            assert.equal(report.trusted, false, "the notebook opens untrusted");
            assert.deepEqual(report.problems, []);
            assert.ok(report.figures > 0, "the notebook has figures");
          } finally {
            await page.evaluate("Jupyter.notebook.session.delete()").catch(
              () => {},
            );
            await page.close();
          }
        });
      }
      console.log(
        `all notebooks: ${drawn} of ${figures} figures drawn untrusted`,
      );
    } finally {
      await done();
    }
  },
});

/** Runs in the page: every code cell, sampling the training cell's outputs. */
const RUN_ALL = `(() => {
  const nb = Jupyter.notebook;
  const code = nb.get_cells().filter((c) => c.cell_type === "code" && c.get_text().trim() !== "");
  const training = code.find((c) => c.get_text().includes("trainingDisplay("));
  window.__run = { expected: code.length, finished: 0, samples: [] };
  nb.events.on("finished_execute.CodeCell", () => { window.__run.finished++; });
  nb.clear_all_output();
  setInterval(() => {
    const outs = training.output_area.outputs;
    const text = outs.map((o) => o.text || (o.data && o.data["text/plain"]) || "").join("\\n");
    window.__run.samples.push({ count: outs.length, text });
  }, 200);
  nb.execute_all_cells();
  return code.indexOf(training) >= 0;
})()`;

/** Runs in the page: how far the run is, and any error output. */
const PROGRESS = `(() => {
  const errors = Jupyter.notebook.get_cells().flatMap((c) =>
    c.cell_type === "code" ? c.output_area.outputs.filter((o) => o.output_type === "error")
      .map((o) => o.ename + ": " + o.evalue) : []);
  return { finished: window.__run.finished, expected: window.__run.expected, errors };
})()`;

Deno.test({
  name:
    "notebook 2 runs in quick mode in the page and its training outputs update in place",
  ignore: missing !== null ||
    !notebooks.some((n) => n.startsWith("02_")),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const name = notebooks.find((n) => n.startsWith("02_"))!;
    // The quick run saves a model and checkpoints: into a temporary folder,
    // never over the full run's in out/.
    const scratch = await Deno.makeTempDir({ prefix: "frontend_run_" });
    const { browser, server, done } = await setUp({
      CNN_QUICK: "1",
      FLOWER_PHOTOS_URL: Deno.env.get("FLOWER_PHOTOS_URL") ??
        DEFAULT_FLOWER_URL,
      CNN_MODEL_DIR: `${scratch}/model`,
      CNN_CHECKPOINTS: `${scratch}/checkpoints`,
    });
    try {
      const page = await browser.newPage();
      await page.setViewport(VIEWPORT);
      await openNotebook(page, server, name);
      await page.waitForFunction(
        "Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()",
        { timeout: 60_000 },
      );
      assert.ok(await page.evaluate(RUN_ALL), "notebook 2 has a training cell");
      const start = Date.now();
      let progress = { finished: 0, expected: 1, errors: [] as string[] };
      while (Date.now() - start < RUN_TIMEOUT_S * 1000) {
        await new Promise((r) => setTimeout(r, 1000));
        progress = await page.evaluate(PROGRESS) as typeof progress;
        if (progress.errors.length || progress.finished >= progress.expected) {
          break;
        }
      }
      await screenshot(
        page,
        `${ROOT}/out/frontend/${name.replace(/\.ipynb$/, "")}_run.png`,
      );
      assert.deepEqual(progress.errors, [], "no cell fails");
      assert.equal(
        progress.finished,
        progress.expected,
        `all cells finished within ${RUN_TIMEOUT_S} s`,
      );
      const samples = await page.evaluate("window.__run.samples") as {
        count: number;
        text: string;
      }[];
      // A finished epoch's line ("Epoch 1/2  3/3 …"), not the progress bar ("Epoch 1/2 [==…").
      const epochsDone = (text: string) =>
        text.match(/^Epoch \d+\/\d+ {2}/gm)?.length ?? 0;
      const counts = new Map<number, number>();
      for (const s of samples) {
        const epochs = epochsDone(s.text);
        if (epochs > 0) {
          counts.set(epochs, Math.max(counts.get(epochs) ?? 0, s.count));
        }
      }
      console.log(
        `${name}: training cell outputs after each epoch: ${
          [...counts].map(([e, n]) => `epoch ${e}: ${n}`).join(", ")
        }`,
      );
      assert.ok(counts.size >= 2, "the page saw at least two epochs end");
      const perEpoch = [...counts.values()];
      assert.ok(
        perEpoch.every((n) => n === perEpoch[0]),
        `the output count stays the same from epoch to epoch: ${perEpoch}`,
      );
      assert.ok(perEpoch[0] <= 3, `at most 3 outputs, received ${perEpoch[0]}`);
      // The live chart in the training cell is drawn as a picture.
      const chartDrawn = await page.evaluate(`(() => {
        const cell = Jupyter.notebook.get_cells().find((c) => c.get_text().includes("trainingDisplay("));
        return [...cell.output_area.element[0].querySelectorAll(".output_subarea")]
          .some((s) => s.querySelector("svg, img"));
      })()`);
      assert.ok(chartDrawn, "the training chart is drawn");
      await page.close();
    } finally {
      await done();
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  },
});
