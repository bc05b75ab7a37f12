// The exercises' solution cells: hidden (their source collapsed, so the
// reader tries first) and saved without outputs, so no answer shows under an
// exercise before the reader runs it. A solution cell is a code cell whose
// source is hidden (`metadata.jupyter.source_hidden`) or that follows a
// Markdown cell starting "Solution".
import assert from "node:assert/strict";

const NOTEBOOK_DIR = new URL("../../notebooks/", import.meta.url);

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { jupyter?: { source_hidden?: boolean } };
  outputs?: unknown[];
  execution_count?: number | null;
}

const text = (source: string | string[]) =>
  Array.isArray(source) ? source.join("") : source;

/** The solution cells of a notebook: index, hidden, outputs. */
export function solutionCells(
  cells: Cell[],
): { index: number; hidden: boolean; outputs: number }[] {
  return cells.flatMap((cell, index) => {
    if (cell.cell_type !== "code") return [];
    const before = cells[index - 1];
    const announced = before?.cell_type === "markdown" &&
      /^\s*Solution\b/.test(text(before.source));
    const hidden = cell.metadata?.jupyter?.source_hidden === true;
    return announced || hidden
      ? [{ index, hidden, outputs: cell.outputs?.length ?? 0 }]
      : [];
  });
}

const names = [...Deno.readDirSync(NOTEBOOK_DIR)]
  .map((e) => e.name)
  .filter((n) => n.endsWith(".ipynb"))
  .sort();

for (const name of names) {
  Deno.test(`${name}: solution cells are hidden and saved without outputs`, () => {
    const notebook = JSON.parse(
      Deno.readTextFileSync(new URL(name, NOTEBOOK_DIR)),
    ) as { cells: Cell[] };
    for (const cell of solutionCells(notebook.cells)) {
      assert.deepEqual(
        cell,
        { index: cell.index, hidden: true, outputs: 0 },
        `cell ${cell.index} of ${name} is a solution: hidden, no outputs`,
      );
    }
  });
}

Deno.test("solutionCells() finds a solution with outputs and one announced but not hidden", () => {
  const md = (source: string): Cell => ({ cell_type: "markdown", source });
  const code = (hidden: boolean, outputs: number): Cell => ({
    cell_type: "code",
    source: "1",
    metadata: hidden ? { jupyter: { source_hidden: true } } : {},
    outputs: Array(outputs).fill({ output_type: "stream" }),
  });
  const cells = [
    md("**1. An exercise**"),
    code(false, 1), // the exercise cell: its check line may show
    md("Solution to 1 (hidden)."),
    code(true, 1), // answer shown: a defect
    md("Solution to 2 (hidden)."),
    code(false, 0), // not hidden: a defect
    code(true, 0), // fine
  ];
  assert.deepEqual(solutionCells(cells), [
    { index: 3, hidden: true, outputs: 1 },
    { index: 5, hidden: false, outputs: 0 },
    { index: 6, hidden: true, outputs: 0 },
  ]);
});
