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
  assert.equal(names.length, 5);
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
  assert.match(text, /^Epoch 15\/15 {2}92\/92 .* val_acc 0\.7275$/m);
  const table = committed("03").text;
  assert.equal(table.match(/^\| baseline \| 10 \|/gm)?.length, 1);
});

Deno.test("figureProblems() reports NaN in an epoch line", () => {
  const problems = problemsAfter(
    "02",
    (t) => t.replace("val_acc 0.7275", "val_acc NaN"),
  );
  assert.ok(problems.length > 0);
  assert.ok(
    problems.includes(
      '02_flower_classification.ipynb: epoch line: val_acc is NaN, outside [0, 1] in "Epoch 15/15  92/92  1m32s 998ms/step  loss 0.5112  acc 0.8106  val_loss 0.6893  val_acc NaN"',
    ),
    problems.join("\n"),
  );
});

Deno.test("figureProblems() reports an accuracy, a percentage or a loss out of range", () => {
  assert.deepEqual(
    problemsAfter(
      "02",
      (t) =>
        t.replace("validation accuracy: 0.728", "validation accuracy: 72.8"),
    ),
    [
      '02_flower_classification.ipynb: validation accuracy: acc is 72.8, outside [0, 1] in "validation accuracy: 72.8 (734 photos)"',
    ],
  );
  assert.deepEqual(
    problemsAfter(
      "02",
      (t) => t.replace("daisy       63.6% right", "daisy       163.6% right"),
    ),
    [
      '02_flower_classification.ipynb: accuracy per class: percent is 163.6, outside [0, 100] in "  daisy       163.6% right"',
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
        "loss 0.015 (validation 1.569)",
        "loss -0.015 (validation 1.569)",
      ),
  );
  // The baseline's chart, and its run in the chart of both runs.
  assert.equal(history.length, 2);
  for (const problem of history) {
    assert.match(
      problem,
      /training history: loss is -0\.015, outside \[0, Infinity\]/,
    );
  }
  // A later run of a chart of several is read too.
  assert.equal(
    problemsAfter(
      "03",
      (t) =>
        t.replace(
          "accuracy 0.811 (validation 0.728)",
          "accuracy 0.811 (validation NaN)",
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
        t.replace("(534 of 734); 200 mistakes", "(534 of 734); 100 mistakes"),
    ),
    [
      '04_what_the_cnn_sees.ipynb: validation accuracy: 534 right and 100 wrong of 734 is not 0.728 in "validation accuracy 0.728 (534 of 734); 100 mistakes"',
    ],
  );
  const matrix = problemsAfter(
    "02",
    (t) =>
      t.replace("diagonal 534 (72.8% right)", "diagonal 534 (82.8% right)"),
  );
  assert.deepEqual(matrix, [
    '02_flower_classification.ipynb: confusion matrix: 534 right of 734 is not 82.8% in "Confusion matrix, 5 classes, 734 photos: diagonal 534 (82.8% right)"',
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
    problemsAfter("04", (t) => t.replace(/^tulips +56\.1%.*$/m, "")),
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
