import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = new URL("..", import.meta.url);
const LIB = fileURLToPath(new URL("../lib/", import.meta.url));

/**
 * The stages in the order data flows through them: a folder may import only
 * from the folders listed for it (and from itself). `fast/` is a backend that
 * only the entry points (cli, web) and the notebooks switch on; it implements
 * kernels that `model/` declares (the augmentation layers' one-pass flip and
 * colour change, lib/model/_augmentation_ops.ts), as a tfjs backend
 * implements the kernels tfjs-core declares.
 */
const ALLOWED: Record<string, string[]> = {
  util: [],
  dataset: ["util"],
  model: ["util"],
  fast: ["model"],
  train: ["util", "dataset", "model"],
  viz: ["util", "dataset", "model", "train"],
  explain: ["util", "dataset", "model", "train", "viz"],
  web: ["util", "dataset", "model", "train"],
  cli: ["util", "dataset", "model", "train", "viz", "fast", "explain", "web"],
};

/** Every .ts file under a folder, recursively. */
function tsFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) files.push(...tsFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

/** The relative module specifiers a file imports (doc examples excluded). */
function relativeImports(path: string): string[] {
  const code = Deno.readTextFileSync(path)
    // Drop comments: doc examples import freely.
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const specifiers = [
    ...code.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g),
    ...code.matchAll(/new URL\(\s*["'](\.{1,2}\/[^"']+)["']/g),
  ].map((m) => m[1]);
  return specifiers.filter((s) => s.endsWith(".ts"));
}

Deno.test("lib/ imports follow the stage order (util ← dataset, model ← train ← viz ← cli)", () => {
  const violations: string[] = [];
  for (const file of tsFiles(LIB)) {
    const from = relative(LIB, file).split("/")[0];
    if (from.endsWith(".ts")) continue; // lib/mod.ts re-exports everything
    for (const specifier of relativeImports(file)) {
      const target = relative(LIB, normalize(join(dirname(file), specifier)));
      const to = target.split("/")[0];
      if (to === from) continue;
      if (!(from in ALLOWED) || !ALLOWED[from].includes(to)) {
        violations.push(`lib/${relative(LIB, file)} imports lib/${target}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

Deno.test("every lib/ stage folder has a mod.ts and is re-exported by lib/mod.ts", () => {
  const mod = Deno.readTextFileSync(join(LIB, "mod.ts"));
  const folders = [...Deno.readDirSync(LIB)]
    .filter((e) => e.isDirectory && e.name !== "cli")
    .map((e) => e.name);
  for (const folder of folders) {
    assert.ok(
      Deno.statSync(join(LIB, folder, "mod.ts")).isFile,
      `lib/${folder}/mod.ts`,
    );
    assert.match(mod, new RegExp(`export \\* from "\\./${folder}/mod\\.ts"`));
  }
});

/** Imports a module in a fresh process; reports tfjs' backend afterwards. */
async function importFresh(module: string) {
  const script = `
    import * as tf from "@tensorflow/tfjs";
    const before = [...Deno.readDirSync(".")].map((e) => e.name).sort().join();
    const lib = await import("${module}");
    const sum = tf.add(1, 2).dataSync()[0];
    const after = [...Deno.readDirSync(".")].map((e) => e.name).sort().join();
    console.log(JSON.stringify({
      sum, backend: tf.getBackend(), exports: Object.keys(lib).length,
      wrote: before !== after,
    }));
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!);
}

Deno.test("importing lib/mod.ts or any stage has no side effects: tfjs keeps its default backend, no file is written", async () => {
  const modules = ["./lib/mod.ts"];
  for (const entry of Deno.readDirSync(LIB)) {
    if (entry.isDirectory && entry.name !== "cli") {
      modules.push(`./lib/${entry.name}/mod.ts`);
    }
  }
  for (const module of modules) {
    const result = await importFresh(module);
    assert.equal(result.sum, 3, module);
    assert.equal(result.backend, "cpu", module);
    assert.equal(result.wrote, false, module);
    assert.ok(result.exports > 0, module);
  }
  const all = await importFresh("./lib/mod.ts");
  assert.ok(
    all.exports > 60,
    `lib/mod.ts re-exports the modules, received ${all.exports}`,
  );
});
