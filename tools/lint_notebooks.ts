/**
 * `deno lint` for the notebooks: Deno's linter reads `.ts` files, not
 * `.ipynb`, so the code cells of each notebook are written, in order, into one
 * temporary `.ts` file (the kernel runs them in one scope, top to bottom) and
 * linted with the project's rules. Problems are reported with the notebook
 * and cell they come from.
 *
 * ```sh
 * deno run -A tools/lint_notebooks.ts   # part of `deno task check`
 * ```
 *
 * @module
 */
import { basename, join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const NOTEBOOKS = join(ROOT, "notebooks");

interface Cell {
  cell_type: string;
  source: string | string[];
}

const scratch = await Deno.makeTempDir({ prefix: "lint_notebooks_" });
try {
  // The project's settings, without the exclusion of notebooks/ and scratch files.
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  delete config.lint;
  delete config.fmt;
  delete config.tasks;
  await Deno.writeTextFile(join(scratch, "deno.json"), JSON.stringify(config));
  const files: string[] = [];
  for (
    const entry of [...Deno.readDirSync(NOTEBOOKS)].sort((a, b) =>
      a.name.localeCompare(b.name)
    )
  ) {
    if (!entry.name.endsWith(".ipynb")) continue;
    const notebook = JSON.parse(
      await Deno.readTextFile(join(NOTEBOOKS, entry.name)),
    );
    const code = (notebook.cells as Cell[])
      .map((cell, index) => ({ cell, index }))
      .filter(({ cell }) => cell.cell_type === "code")
      .map(({ cell, index }) => {
        const source = Array.isArray(cell.source)
          ? cell.source.join("")
          : cell.source;
        return `// ${entry.name}, cell ${index}\n${source}\n`;
      });
    const file = join(scratch, `${basename(entry.name, ".ipynb")}.ts`);
    await Deno.writeTextFile(file, code.join("\n"));
    files.push(file);
  }
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["lint", ...files],
    cwd: scratch,
    env: { NO_COLOR: "1" },
  }).output();
  const report = new TextDecoder().decode(result.stdout) +
    new TextDecoder().decode(result.stderr);
  if (!result.success) {
    console.error(
      report.replaceAll(scratch + "/", "notebooks/(code cells of) "),
    );
    console.error(
      "The lines are counted in the notebook's code cells joined in order; each cell starts with a `// <notebook>, cell N` line.",
    );
    Deno.exit(1);
  }
  console.log(`deno lint: ${files.length} notebooks, no problems`);
} finally {
  await Deno.remove(scratch, { recursive: true });
}
