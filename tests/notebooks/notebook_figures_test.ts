// The figure checks the notebook tests apply to executed notebooks, run here on the
// committed notebooks (their outputs are those of a real full run) and on copies of
// them broken the ways a notebook can go wrong silently: NaN, an accuracy out of
// range, figures that contradict each other, a line or a class that is missing.
import assert from "node:assert/strict";
import {
  figureProblems,
  FLOWER_CLASSES,
  type NotebookJson,
  outputText,
} from "./_notebook_figures.ts";

const NOTEBOOK_DIR = new URL("../../notebooks/", import.meta.url);

const names = [...Deno.readDirSync(NOTEBOOK_DIR)]
  .map((e) => e.name)
  .filter((n) => n.endsWith(".ipynb"))
  .sort();

/** A committed notebook's output text. */
function committed(part: string): { name: string; text: string } {
  const name = names.find((n) => n.startsWith(part))!;
  const notebook: NotebookJson = JSON.parse(
    Deno.readTextFileSync(new URL(name, NOTEBOOK_DIR)),
  );
  return { name, text: outputText(notebook) };
}

/** The problems of notebook `part`'s text after `edit`. */
function problemsAfter(part: string, edit: (text: string) => string) {
  const { name, text } = committed(part);
  const edited = edit(text);
  assert.notEqual(edited, text, "the edit changed the text");
  return figureProblems(name, edited, { classNames: FLOWER_CLASSES });
}

Deno.test("figureProblems() finds every figure of the committed notebooks sane", () => {
  assert.equal(names.length, 6);
  for (const name of names) {
    const { text } = committed(name.slice(0, 2));
    assert.deepEqual(
      figureProblems(name, text, { classNames: FLOWER_CLASSES }),
      [],
    );
  }
});

Deno.test("outputText() reads streams, figure sentences and tables, once each", () => {
  const { text } = committed("02");
  assert.match(text, /^Found 3670 files belonging to 5 classes\.$/m);
  assert.match(text, /^Confusion matrix, 5 classes, 734 photos/m);
  assert.match(text, /^Epoch 15\/15 {2}92\/92 .* val_acc 0\.7316$/m);
  const table = committed("03").text;
  assert.equal(table.match(/^\| baseline \| 10 \|/gm)?.length, 1);
});

Deno.test("figureProblems() reports NaN in an epoch line", () => {
  const problems = problemsAfter(
    "02",
    (t) =>
      t.replace(
        "val_loss 0.6972  val_acc 0.7316",
        "val_loss 0.6972  val_acc NaN",
      ),
  );
  assert.ok(problems.length > 0);
  // The epoch's seconds vary from run to run; the rest of the line does not.
  assert.ok(
    problems.some((p) =>
      /^02_flower_classification\.ipynb: epoch line: val_acc is NaN, outside \[0, 1\] in "Epoch 15\/15 {2}92\/92 {2}\d+s \d+ms\/step {2}loss 0\.5129 {2}acc 0\.8082 {2}val_loss 0\.6972 {2}val_acc NaN"$/
        .test(p)
    ),
    problems.join("\n"),
  );
});

Deno.test("figureProblems() reports an accuracy, a percentage or a loss out of range", () => {
  assert.deepEqual(
    problemsAfter(
      "02",
      (t) =>
        t.replace("validation accuracy: 0.732", "validation accuracy: 73.2"),
    ),
    [
      '02_flower_classification.ipynb: validation accuracy: acc is 73.2, outside [0, 1] in "validation accuracy: 73.2 (734 photos)"',
    ],
  );
  assert.deepEqual(
    problemsAfter(
      "02",
      (t) => t.replace("daisy       59.7% right", "daisy       159.7% right"),
    ),
    [
      '02_flower_classification.ipynb: accuracy per class: percent is 159.7, outside [0, 100] in "  daisy       159.7% right"',
    ],
  );
  assert.deepEqual(
    problemsAfter(
      "01",
      (t) => t.replace("colour alone: 36.5%", "colour alone: -36.5%"),
    ),
    [
      '01_theory.ipynb: accuracy from colour alone: acc is -36.5, outside [0, 100] in "validation accuracy from colour alone: -36.5%"',
    ],
  );
  const history = problemsAfter(
    "03",
    (t) =>
      t.replaceAll(
        "loss 0.007 (validation 1.685)",
        "loss -0.007 (validation 1.685)",
      ),
  );
  // The baseline's chart, and its run in the chart of both runs.
  assert.equal(history.length, 2);
  for (const problem of history) {
    assert.match(
      problem,
      /training history: loss is -0\.007, outside \[0, Infinity\]/,
    );
  }
  // A later run of a chart of several is read too.
  assert.equal(
    problemsAfter(
      "03",
      (t) =>
        t.replace(
          "accuracy 0.808 (validation 0.732)",
          "accuracy 0.808 (validation NaN)",
        ),
    ).length,
    2, // the NaN line, and the figure itself
  );
});

Deno.test("figureProblems() reports figures that contradict each other", () => {
  assert.deepEqual(
    problemsAfter(
      "04",
      (t) =>
        t.replace("(537 of 734); 197 mistakes", "(537 of 734); 100 mistakes"),
    ),
    [
      '04_what_the_cnn_sees.ipynb: validation accuracy: 537 right and 100 wrong of 734 is not 0.732 in "validation accuracy 0.732 (537 of 734); 100 mistakes"',
    ],
  );
  const matrix = problemsAfter(
    "02",
    (t) =>
      t.replace("diagonal 537 (73.2% right)", "diagonal 537 (83.2% right)"),
  );
  assert.deepEqual(matrix, [
    '02_flower_classification.ipynb: confusion matrix: 537 right of 734 is not 83.2% in "Confusion matrix, 5 classes, 734 photos: diagonal 537 (83.2% right)"',
  ]);
});

Deno.test("figureProblems() reports a missing line or class, and a wrong class count", () => {
  const noMatrix = problemsAfter(
    "05",
    (t) => t.replace(/^Confusion matrix.*$/m, "(no chart)"),
  );
  assert.deepEqual(noMatrix, [
    "05_better_cnn.ipynb: confusion matrix: expected at least 2 line(s) matching /Confusion matrix, \\d+ classes/g, found 1",
  ]);
  assert.deepEqual(
    problemsAfter("04", (t) => t.replace(/^tulips +51\.6%.*$/m, "")),
    [
      "04_what_the_cnn_sees.ipynb: nearest neighbours per class: no line names tulips",
    ],
  );
  assert.deepEqual(
    problemsAfter(
      "02",
      (t) => t.replace("belonging to 5 classes", "belonging to 7 classes"),
    ),
    ["02_flower_classification.ipynb: found 7 classes, expected 5"],
  );
});
