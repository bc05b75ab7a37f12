/**
 * Load benchmark on the real flower_photos archive, and on a dataset ten times
 * its size (the same photos hard-linked ten times under new names, in a
 * temporary folder), to show that a dataset larger than `maxMemoryBytes`
 * streams from the pixel cache instead of filling memory. For each size, three
 * phases, each in a fresh process so peak RSS (VmHWM) is measured per phase:
 * the first load (decode + resize to 180×180, cold pixel cache), a cached
 * reload, and a cached reload followed by one epoch of training batches read
 * through `toTfDataset()` (in memory at 1×, streamed with read-ahead at 10×).
 *
 * Run: `deno task bench:load [--scales 1,10]` (uses $FLOWER_PHOTOS_URL, else
 * ../shared/data/flower_photos.tgz, else downloads). Targets on a 2-core
 * machine: first load of 1× ≤ 15 s, cached reload ≤ 3 s, peak RSS ≤ 1 GB, and
 * peak RSS at 10× within 1.3× of the 1× figure of the same phase.
 *
 * `deno run -A bench/load_bench.ts --make-scaled N DIR` only builds the N×
 * folder at DIR (e.g. for `deno task flowers --data DIR`).
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { flowerPhotosDir } from "../lib/dataset/flowers.ts";
import { imageDatasetFromDirectory } from "../lib/dataset/image_folder.ts";

const IMAGE_SIZE: [number, number] = [180, 180];
const SHARED_ARCHIVE = fileURLToPath(
  new URL("../../shared/data/flower_photos.tgz", import.meta.url),
);
/** Peak RSS allowed at N× relative to 1× (same phase). */
const RSS_RATIO_TARGET = 1.3;

type Phase = "first" | "cached" | "epoch";

interface PhaseResult {
  seconds: number;
  peakRssMb: number;
  images: number;
  streaming: boolean;
  batches: number;
}

/** One phase, run in this process: prints a JSON line with seconds and VmHWM. */
async function phase(dir: string, cacheDir: string, kind: Phase) {
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
  let batches = 0;
  if (kind === "epoch") {
    // One epoch of training batches, as fitDataset reads them.
    const iterator = await train.toTfDataset().iterator();
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      r.value.xs.dispose();
      r.value.ys.dispose();
      batches++;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const status = await Deno.readTextFile("/proc/self/status");
  const hwmKb = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? NaN);
  console.log(
    JSON.stringify(
      {
        seconds,
        peakRssMb: hwmKb / 1024,
        images: train.size + validation.size,
        streaming: train.streaming,
        batches,
      } satisfies PhaseResult,
    ),
  );
}

async function runPhase(
  dir: string,
  cacheDir: string,
  kind: Phase,
): Promise<PhaseResult> {
  const self = fileURLToPath(import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", self, "--phase", dir, cacheDir, kind],
    stderr: "inherit",
  }).output();
  if (!output.success) {
    throw new Error(
      `Cannot run benchmark phase: it exited with ${output.code}`,
    );
  }
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!);
}

/**
 * Builds `dest` with `copies` copies of each class folder's images of `src`,
 * hard-linked (symlinked where hard links fail) under new names `c<k>_<name>`.
 */
async function makeScaled(src: string, dest: string, copies: number) {
  for await (const cls of Deno.readDir(src)) {
    if (!cls.isDirectory) continue;
    await Deno.mkdir(join(dest, cls.name), { recursive: true });
    for await (const file of Deno.readDir(join(src, cls.name))) {
      if (!file.isFile) continue;
      for (let k = 0; k < copies; k++) {
        const from = join(src, cls.name, file.name);
        const to = join(dest, cls.name, `c${k}_${file.name}`);
        try {
          await Deno.link(from, to);
        } catch {
          await Deno.symlink(from, to);
        }
      }
    }
  }
}

async function flowersDir(): Promise<string> {
  let url = Deno.env.get("FLOWER_PHOTOS_URL");
  if (!url) {
    try {
      await Deno.stat(SHARED_ARCHIVE);
      url = SHARED_ARCHIVE;
    } catch { /* fall back to the official URL */ }
  }
  return await flowerPhotosDir({ url });
}

if (Deno.args[0] === "--phase") {
  await phase(Deno.args[1], Deno.args[2], Deno.args[3] as Phase);
} else if (Deno.args[0] === "--make-scaled") {
  const copies = Number(Deno.args[1]);
  const dest = Deno.args[2];
  if (!(Number.isInteger(copies) && copies >= 1) || !dest) {
    throw new TypeError(
      `Cannot build a scaled dataset: expected --make-scaled N DIR, received ${
        Deno.args.slice(1).join(" ")
      }`,
    );
  }
  await makeScaled(await flowersDir(), dest, copies);
  console.log(`Linked ${copies} copies of flower_photos into ${dest}`);
} else {
  const scalesArg = Deno.args.indexOf("--scales");
  const scales = scalesArg >= 0
    ? Deno.args[scalesArg + 1].split(",").map(Number)
    : [1, 10];
  const dir = await flowersDir();
  const work = await Deno.makeTempDir({ prefix: "load_bench_" });
  const rows: string[] = [];
  const baseline = new Map<Phase, number>();
  try {
    for (const scale of scales) {
      let data = dir;
      if (scale !== 1) {
        data = join(work, `flower_photos_x${scale}`);
        await makeScaled(dir, data, scale);
      }
      const cacheDir = join(work, `cache_x${scale}`);
      for (
        const [kind, name] of [
          ["first", "first load"],
          ["cached", "cached reload"],
          ["epoch", "reload + 1 epoch"],
        ] as const
      ) {
        const r = await runPhase(data, cacheDir, kind);
        if (scale === 1) baseline.set(kind, r.peakRssMb);
        const base = baseline.get(kind);
        const ratio = scale !== 1 && base ? r.peakRssMb / base : undefined;
        rows.push(
          `| ${`${scale}×`.padEnd(5)} | ${name.padEnd(16)} | ${
            (r.streaming ? "streamed" : "in memory").padEnd(9)
          } | ${String(r.images).padStart(6)} | ${
            r.seconds.toFixed(2).padStart(7)
          } s | ${r.peakRssMb.toFixed(0).padStart(6)} MB | ${
            ratio === undefined
              ? "".padEnd(6)
              : `${ratio.toFixed(2)}×${ratio <= RSS_RATIO_TARGET ? " " : "!"}`
                .padEnd(6)
          } |`,
        );
      }
      await Deno.remove(cacheDir, { recursive: true });
      if (data !== dir) await Deno.remove(data, { recursive: true });
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  console.log(
    `Loading ${dir} at ${
      IMAGE_SIZE.join("x")
    } (×N: the photos linked N times), ${navigator.hardwareConcurrency} cores`,
  );
  console.log(
    "| size  | phase            | pixels    | images |      time |  peak RSS | vs 1×  |",
  );
  console.log(
    "|-------|------------------|-----------|--------|-----------|-----------|--------|",
  );
  for (const row of rows) console.log(row);
  console.log(
    `Targets: 1× first load ≤ 15 s, cached reload ≤ 3 s; peak RSS at N× ≤ ${RSS_RATIO_TARGET}× the 1× figure ("!" marks a miss).`,
  );
}
