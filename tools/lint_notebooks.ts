/**
 * `deno lint` and `deno fmt --check` for the notebooks.
 *
 * Lint: Deno's linter reads `.ts` files, not `.ipynb`, so the code cells of
 * each notebook are written, in order, into one temporary `.ts` file (the
 * kernel runs them in one scope, top to bottom) and linted with the
 * project's rules. Problems are reported with the notebook and cell they
 * come from.
 *
 * Format: Deno 2.9.6's `deno fmt --check` reports every notebook with a
 * markdown cell as unformatted while `deno fmt` changes nothing in it (a
 * one-cell notebook `# Hi` is enough), so `deno.json` leaves `notebooks/` out
 * of `deno fmt` and each cell is checked here instead, as the `.ts` or `.md`
 * file it is: the same formatter, one cell per file, so it cannot disagree
 * with itself. `deno fmt --no-config notebooks/NAME.ipynb` fixes what it reports.
 *
 * ```sh
 * deno run -A tools/lint_notebooks.ts   # part of `deno task check`
 * ```
 *
 * Length: a code cell is one step a reader runs and reads at once, so none
 * may be longer than {@linkcode MAX_CELL_LINES} lines as formatted, its
 * `import` statements not counted (a notebook's import list is one long
 * statement). A longer cell is split at a statement, or its helper moved to
 * a cell (or to `lib/`) of its own.
 *
 * @module
 */
import { basename, join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
/** The longest code cell allowed, in lines, imports not counted. */
const MAX_CELL_LINES = 25;

/** A code cell's lines, without its `import … from "…";` statements. */
function linesBesidesImports(source: string): number {
  const rest = source.replace(/^import\b[\s\S]*?from "[^"]+";\n?/gm, "");
  return rest.replace(/^\n+|\n+$/g, "").split("\n").length;
}
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
  const longCells: string[] = [];
  const cellFiles = join(scratch, "cells");
  await Deno.mkdir(cellFiles);
  for (
    const entry of [...Deno.readDirSync(NOTEBOOKS)].sort((a, b) =>
      a.name.localeCompare(b.name)
    )
  ) {
    if (!entry.name.endsWith(".ipynb")) continue;
    const notebook = JSON.parse(
      await Deno.readTextFile(join(NOTEBOOKS, entry.name)),
    );
    const sourceOf = (cell: Cell) =>
      Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    const cells = (notebook.cells as Cell[]).map((cell, index) => ({
      cell,
      index,
    }));
    const code = cells
      .filter(({ cell }) => cell.cell_type === "code")
      .map(({ cell, index }) =>
        `// ${entry.name}, cell ${index}\n${sourceOf(cell)}\n`
      );
    const long = cells.flatMap(({ cell, index }) => {
      const lines = cell.cell_type === "code"
        ? linesBesidesImports(sourceOf(cell))
        : 0;
      return lines > MAX_CELL_LINES
        ? [`notebooks/${entry.name}, cell ${index}: ${lines} lines`]
        : [];
    });
    longCells.push(...long);
    const file = join(scratch, `${basename(entry.name, ".ipynb")}.ts`);
    await Deno.writeTextFile(file, code.join("\n"));
    files.push(file);
    for (const { cell, index } of cells) {
      const ext = cell.cell_type === "code"
        ? "ts"
        : cell.cell_type === "markdown"
        ? "md"
        : undefined;
      if (!ext) continue;
      // deno fmt ends a file with one newline; a cell's source has none.
      await Deno.writeTextFile(
        join(
          cellFiles,
          `${basename(entry.name, ".ipynb")}__cell_${index}.${ext}`,
        ),
        sourceOf(cell).replace(/\n*$/, "\n"),
      );
    }
  }
  if (longCells.length > 0) {
    console.error(
      `Code cells over ${MAX_CELL_LINES} lines (imports not counted); split each at a statement:\n${
        longCells.join("\n")
      }`,
    );
    Deno.exit(1);
  }
  const format = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--check", cellFiles],
    cwd: scratch,
    env: { NO_COLOR: "1" },
  }).output();
  if (!format.success) {
    const report = new TextDecoder().decode(format.stdout) +
      new TextDecoder().decode(format.stderr);
    const unformatted = [
      ...new Set(
        [...report.matchAll(/from (\S+__cell_\d+\.(?:ts|md)):/g)].map((m) =>
          basename(m[1]).replace(
            /^(.*)__cell_(\d+)\.(ts|md)$/,
            "notebooks/$1.ipynb, cell $2",
          )
        ),
      ),
    ];
    console.error(
      report.replaceAll(cellFiles + "/", "notebooks/(cells of) ") +
        `\nNot formatted: ${
          unformatted.join("; ")
        }\nFix with deno fmt --no-config notebooks/<name>.ipynb (deno.json leaves notebooks/ out of deno fmt)`,
    );
    Deno.exit(1);
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
  console.log(
    `deno lint and deno fmt --check: ${files.length} notebooks, no problems`,
  );
} finally {
  await Deno.remove(scratch, { recursive: true });
}
