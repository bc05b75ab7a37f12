/**
 * Load benchmark on the real flower_photos archive: the first load of all 3,670
 * photos at 180×180 (decode + resize, cold pixel cache) and a cached reload,
 * each in a fresh process so peak RSS (VmHWM) is measured per phase.
 *
 * Run: `deno run -A bench/load_bench.ts` (uses $FLOWER_PHOTOS_URL, else
 * ../shared/data/flower_photos.tgz, else downloads). Targets on a 2-core machine:
 * first load ≤ 15 s, cached reload ≤ 3 s, peak RSS ≤ 1 GB.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { flowerPhotosDir } from "../lib/dataset/flowers.ts";
import { imageDatasetFromDirectory } from "../lib/dataset/image_folder.ts";

const IMAGE_SIZE: [number, number] = [180, 180];
const SHARED_ARCHIVE = fileURLToPath(
  new URL("../../shared/data/flower_photos.tgz", import.meta.url),
);

/** One phase, run in this process: prints a JSON line with seconds and VmHWM. */
async function phase(dir: string, cacheDir: string) {
  const start = performance.now();
  const [train, validation] = await imageDatasetFromDirectory(dir, {
    validationSplit: 0.2,
    subset: "both",
    seed: 123,
    imageSize: IMAGE_SIZE,
    cacheDir,
    log: () => {},
    progress: "silent",
  });
  const seconds = (performance.now() - start) / 1000;
  const status = await Deno.readTextFile("/proc/self/status");
  const hwmKb = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? NaN);
  console.log(
    JSON.stringify({
      seconds,
      peakRssMb: hwmKb / 1024,
      images: train.size + validation.size,
    }),
  );
}

async function runPhase(dir: string, cacheDir: string) {
  const self = fileURLToPath(import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", self, "--phase", dir, cacheDir],
    stderr: "inherit",
  }).output();
  if (!output.success) {
    throw new Error(
      `Cannot run benchmark phase: it exited with ${output.code}`,
    );
  }
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!) as {
    seconds: number;
    peakRssMb: number;
    images: number;
  };
}

if (Deno.args[0] === "--phase") {
  await phase(Deno.args[1], Deno.args[2]);
} else {
  let url = Deno.env.get("FLOWER_PHOTOS_URL");
  if (!url) {
    try {
      await Deno.stat(SHARED_ARCHIVE);
      url = SHARED_ARCHIVE;
    } catch { /* fall back to the official URL */ }
  }
  const dir = await flowerPhotosDir({ url });
  const cacheDir = await Deno.makeTempDir({ prefix: "load_bench_cache_" });
  try {
    const cold = await runPhase(dir, cacheDir);
    const warm = await runPhase(dir, cacheDir);
    const row = (name: string, r: typeof cold, target: number) =>
      `| ${name.padEnd(14)} | ${String(r.images).padStart(6)} | ${
        r.seconds.toFixed(2).padStart(7)
      } s | ${r.peakRssMb.toFixed(0).padStart(6)} MB | ≤ ${target} s |`;
    console.log(
      `Loading ${dir} at ${
        IMAGE_SIZE.join("x")
      }, ${navigator.hardwareConcurrency} cores`,
    );
    console.log("| phase          | images |      time |  peak RSS | target |");
    console.log("|----------------|--------|-----------|-----------|--------|");
    console.log(row("first load", cold, 15));
    console.log(row("cached reload", warm, 3));
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
}
