/// <reference lib="dom" />
/**
 * The web page in a real browser: Debian's Chromium, headless, driven by
 * puppeteer-core. A tiny trained model is exported, served on a free port,
 * and the page's top-1 must equal `predictImage` in Deno (class equal,
 * probability within 1e-3). Without Chromium the browser tests are skipped,
 * loudly; CI installs it.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import puppeteer, {
  type Browser,
  type ElementHandle,
  type Page,
} from "puppeteer-core";
import { predictImage } from "../../lib/train/evaluate.ts";
import { resizeBilinearRgb as resizeInDeno } from "../../lib/dataset/_resize.ts";
import { exportForWeb } from "../../lib/web/export.ts";
import { serveWebPage } from "../../lib/web/serve.ts";
import {
  resizeBilinearRgb as resizeInPage,
  rgbaToRgb,
} from "../../lib/web/page/resize.js";
import { patternRgb } from "../_image_fixtures.ts";
import {
  testPhotoPng,
  TINY_CLASSES,
  trainedTinyModel,
} from "./_web_fixtures.ts";

/** Largest difference allowed between the browser's and Deno's probability. */
const TOLERANCE = 1e-3;
/** How long the page may take to load the model and classify a photo. */
const PAGE_TIMEOUT_MS = 60_000;
const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

function chromiumInstalled(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}
const hasChromium = chromiumInstalled();
if (!hasChromium) {
  console.error(
    `\n*** tests/web/page_test.ts: SKIPPING the browser tests: no Chromium at ${CHROMIUM}.\n` +
      `*** Install it with "apt-get install chromium" (or set CHROMIUM_PATH); CI installs it.\n`,
  );
}

Deno.test("resize.js (the page's resize) gives the same bytes as lib/dataset/_resize.ts", () => {
  for (
    const [h, w, oh, ow] of [
      [23, 37, 16, 16],
      [180, 240, 180, 180],
      [
        5,
        3,
        12,
        7,
      ],
      [1, 1, 4, 4],
      [64, 64, 64, 64],
    ]
  ) {
    const src = patternRgb(h, w, h + w);
    assert.deepEqual(
      resizeInPage(src, h, w, oh, ow),
      resizeInDeno(src, h, w, oh, ow),
      `${h}x${w} -> ${oh}x${ow}`,
    );
  }
});

Deno.test("rgbaToRgb() drops the alpha byte", () => {
  assert.deepEqual(
    rgbaToRgb(new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 0])),
    new Uint8Array([1, 2, 3, 4, 5, 6]),
  );
});

/** Waits until the page has finished with a photo (or failed). */
async function settled(page: Page): Promise<string> {
  await page.waitForFunction(
    () => ["done", "error"].includes(document.body.dataset.state ?? ""),
    { timeout: PAGE_TIMEOUT_MS },
  );
  return await page.$eval("body", (b) => b.dataset.state ?? "");
}

Deno.test({
  name: "the page in headless Chromium classifies photos like predictImage",
  ignore: !hasChromium,
  // puppeteer keeps a websocket and a child process until close().
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir();
    const model = await trainedTinyModel();
    const web = await exportForWeb(model, dir);
    web.model.dispose();
    const png = testPhotoPng();
    const [expected, second] = await predictImage(model, png, {
      classNames: TINY_CLASSES,
      k: 2,
    });
    // The class comparison means something only if the top two are apart.
    assert.ok(expected.probability - second.probability > 10 * TOLERANCE);
    const server = await serveWebPage(dir, { hostname: "127.0.0.1", port: 0 });
    let browser: Browser | undefined;
    try {
      browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        args: ["--no-sandbox"],
      });
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on("request", (request) => {
        requested.push(request.url());
      });
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(String(error)));

      await t.step(
        "?image=data:... shows predictImage's top-1 in #prediction",
        async () => {
          const dataUrl = `data:image/png;base64,${
            Buffer.from(png).toString("base64")
          }`;
          await page.goto(`${server.url}?image=${encodeURIComponent(dataUrl)}`);
          assert.equal(await settled(page), "done", await page.content());
          const text = await page.$eval("#prediction", (e) => e.textContent);
          const match = text?.match(/^(\S+) (\d\.\d{4})$/);
          assert.ok(match, `#prediction reads "${text}"`);
          console.log(
            `browser: ${text}; Deno predictImage: ${expected.className} ${expected.probability}`,
          );
          assert.equal(match[1], expected.className);
          assert.ok(
            Math.abs(Number(match[2]) - expected.probability) <= TOLERANCE,
            `browser ${match[2]}, Deno ${expected.probability}`,
          );
          // The top-5 bars (here 3 classes) are drawn by Plot as an SVG.
          const bars = await page.$$eval("#chart svg rect", (r) => r.length);
          assert.equal(bars, TINY_CLASSES.length);
          assert.match(
            await page.$eval("#timing", (e) => e.textContent ?? ""),
            /^Prediction: \d+\.\d ms/,
          );
          assert.deepEqual(errors, []);
        },
      );

      await t.step(
        "#image=data:... works too (no length limit from the server)",
        async () => {
          const dataUrl = `data:image/png;base64,${
            Buffer.from(png).toString("base64")
          }`;
          await page.goto("about:blank");
          await page.goto(`${server.url}#image=${encodeURIComponent(dataUrl)}`);
          assert.equal(await settled(page), "done");
          assert.equal(
            await page.$eval("#prediction", (e) => e.textContent),
            `${expected.className} ${expected.probability.toFixed(4)}`,
          );
        },
      );

      await t.step("every file comes from the local server (no CDN)", () => {
        const outside = requested.filter((url) =>
          !url.startsWith(server.url) && !url.startsWith("data:") &&
          url !== "about:blank"
        );
        assert.deepEqual(outside, []);
        assert.ok(requested.some((u) => u.endsWith("/vendor/tf.min.js")));
        assert.ok(requested.some((u) => u.endsWith("/model/weights.bin")));
      });

      await t.step(
        "a file that is not an image shows a message; the next photo works",
        async () => {
          const root = await Deno.makeTempDir();
          await Deno.writeTextFile(`${root}/notes.txt`, "not an image");
          await Deno.writeFile(`${root}/photo.png`, png);
          await page.goto(server.url);
          await page.waitForFunction(
            () => document.body.dataset.state === "ready",
            {
              timeout: PAGE_TIMEOUT_MS,
            },
          );
          const input = (await page.$("#file")) as ElementHandle<
            HTMLInputElement
          >;
          await input.uploadFile(`${root}/notes.txt`);
          assert.equal(await settled(page), "error");
          const message = await page.$eval("#message", (e) => ({
            text: e.textContent,
            visible: !(e as HTMLElement).hidden,
          }));
          assert.ok(message.visible);
          assert.match(
            message.text ?? "",
            /^Cannot classify the photo: the browser cannot decode it as an image, received notes\.txt$/,
          );
          assert.equal(
            await page.$eval("#prediction", (e) => e.textContent),
            "",
          );

          await input.uploadFile(`${root}/photo.png`);
          assert.equal(await settled(page), "done");
          assert.equal(
            await page.$eval("#message", (e) => (e as HTMLElement).hidden),
            true,
          );
          assert.equal(
            await page.$eval("#prediction", (e) => e.textContent),
            `${expected.className} ${expected.probability.toFixed(4)}`,
          );
          await Deno.remove(root, { recursive: true });
        },
      );

      await t.step(
        "?image=http://... (another origin that allows it) is fetched and classified",
        async () => {
          const photos = Deno.serve(
            { hostname: "127.0.0.1", port: 0, onListen() {} },
            () =>
              new Response(png.slice(), {
                headers: {
                  "content-type": "image/png",
                  "access-control-allow-origin": "*",
                },
              }),
          );
          try {
            const url = `http://127.0.0.1:${photos.addr.port}/photo.png`;
            await page.goto(`${server.url}?image=${encodeURIComponent(url)}`);
            assert.equal(await settled(page), "done");
            assert.equal(
              await page.$eval("#prediction", (e) => e.textContent),
              `${expected.className} ${expected.probability.toFixed(4)}`,
            );
          } finally {
            await photos.shutdown();
          }
        },
      );

      await t.step("a photo dropped on the page is classified", async () => {
        await page.goto(server.url);
        await page.waitForFunction(
          () => document.body.dataset.state === "ready",
          { timeout: PAGE_TIMEOUT_MS },
        );
        // What a drag from the desktop delivers: a drop event with a File.
        await page.evaluate((base64: string) => {
          const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
          const files = new DataTransfer();
          files.items.add(
            new File([bytes], "dropped.png", { type: "image/png" }),
          );
          document.getElementById("drop")!.dispatchEvent(
            new DragEvent("drop", {
              dataTransfer: files,
              bubbles: true,
              cancelable: true,
            }),
          );
        }, Buffer.from(png).toString("base64"));
        assert.equal(await settled(page), "done");
        assert.equal(
          await page.$eval("#prediction", (e) => e.textContent),
          `${expected.className} ${expected.probability.toFixed(4)}`,
        );
      });

      await t.step(
        "?image= with another scheme is refused in the page",
        async () => {
          await page.goto(`${server.url}?image=ftp://example.com/a.png`);
          assert.equal(await settled(page), "error");
          assert.match(
            await page.$eval("#message", (e) => e.textContent ?? ""),
            /^Cannot classify \?image=: the URL must start with http:, https: or data:, received ftp:/,
          );
        },
      );
    } finally {
      await browser?.close();
      await server.shutdown();
      model.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
