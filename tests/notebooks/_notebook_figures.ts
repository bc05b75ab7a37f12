// Reads the figures an executed notebook printed (accuracies, losses, counts,
// class names) and says which are not sane: not a finite number, out of range,
// inconsistent with each other, or missing. The notebook tests run it on the
// notebooks they execute, so a notebook that prints `NaN` accuracy fails; its
// own test runs it on the committed notebooks, whose outputs come from a real
// full run.

/** The parts of an output of a `.ipynb` file that hold text. */
interface Output {
  output_type: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}

/** The parts of a `.ipynb` file that hold outputs. */
export interface NotebookJson {
  cells: { cell_type: string; outputs?: Output[] }[];
}

/** The classes of TensorFlow's flower_photos, as the notebooks name them. */
export const FLOWER_CLASSES = [
  "daisy",
  "dandelion",
  "roses",
  "sunflowers",
  "tulips",
];

/** A printed number, including what a broken one looks like (`NaN`, `Infinity`). */
const NUM = String
  .raw`(?:[-−+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?|[-−]?Infinity|NaN)`;

const ACCURACY: [number, number] = [0, 1];
const PERCENT: [number, number] = [0, 100];
const LOSS: [number, number] = [0, Infinity];

/** The value of a printed number: thousands separators and `−` understood. */
function numberOf(text: string): number {
  return Number(text.replace(/,/g, "").replace("−", "-"));
}

const join = (t: string | string[] | undefined) =>
  Array.isArray(t) ? t.join("") : t;

/**
 * All text a notebook printed, output after output: streams, and for a
 * display its `text/plain` (a figure's sentence, a table's Markdown source),
 * else its `text/markdown`.
 */
export function outputText(notebook: NotebookJson): string {
  return notebook.cells.flatMap((cell) => cell.outputs ?? []).map((o) =>
    join(o.text) ?? join(o.data?.["text/plain"]) ??
      join(o.data?.["text/markdown"]) ?? ""
  ).join("\n");
}

/** One kind of line a notebook prints, and what its figures must be. */
interface Expectation {
  /** What the line is, for the report. */
  what: string;
  /** The line, its figures as named groups (flags `g`, and `m` for `^`/`$`). */
  pattern: RegExp;
  /** Only look inside the lines that match this (flags `gm`). @default the whole text */
  within?: RegExp;
  /** The range of each numeric group (ends included). */
  ranges?: Record<string, [number, number]>;
  /** Fewest lines expected. @default 1 */
  min?: number;
  /** A group naming a class: every class must be named by one of the lines. */
  classGroup?: string;
  /** A relation between a line's figures: a problem, or undefined. */
  check?: (figures: Record<string, number>) => string | undefined;
}

/** Lines any notebook may print (none is required). */
const COMMON: Expectation[] = [
  {
    what: "training history",
    within: /^Training history.*$/gm,
    pattern: new RegExp(
      String
        .raw`accuracy (?<acc>${NUM})(?: \(validation (?<val_acc>${NUM})\))?, loss (?<loss>${NUM})(?: \(validation (?<val_loss>${NUM})\))?`,
      "g",
    ),
    ranges: { acc: ACCURACY, val_acc: ACCURACY, loss: LOSS, val_loss: LOSS },
    min: 0,
  },
  {
    what: "confusion matrix",
    pattern: new RegExp(
      String
        .raw`Confusion matrix, (?<classes>\d+) classes, (?<photos>${NUM}) photos: diagonal (?<right>${NUM}) \((?<percent>${NUM})% right\)`,
      "g",
    ),
    ranges: { percent: PERCENT },
    min: 0,
    check: ({ photos, right, percent }) =>
      right <= photos && Math.abs(percent - 100 * right / photos) < 0.06
        ? undefined
        : `${right} right of ${photos} is not ${percent}%`,
  },
  {
    what: "best-model checkpoint",
    pattern: new RegExp(
      String.raw`val_acc improved from ${NUM} to (?<val_acc>${NUM})`,
      "g",
    ),
    ranges: { val_acc: ACCURACY },
    min: 0,
  },
];

/** What each notebook prints, by the number its file name starts with. */
const NOTEBOOKS: Record<string, Expectation[]> = {
  "01": [
    {
      what: "accuracy from colour alone",
      pattern: new RegExp(
        String.raw`validation accuracy from colour alone: (?<acc>${NUM})%$`,
        "gm",
      ),
      ranges: { acc: PERCENT },
    },
    {
      what: "always the largest class",
      pattern: new RegExp(
        String
          .raw`always answering .+?, the largest training class: (?<acc>${NUM})% \((?<right>\d+) of (?<photos>\d+)\); a random guess: (?<guess>${NUM})%`,
        "g",
      ),
      ranges: { acc: PERCENT, guess: PERCENT },
      check: ({ acc, right, photos }) =>
        right <= photos && Math.abs(acc - 100 * right / photos) < 0.06
          ? undefined
          : `${right} of ${photos} is not ${acc}%`,
    },
    {
      what: "learning-rate experiment",
      pattern: new RegExp(
        String
          .raw`^lr \S+ +training loss (?<first>${NUM}) → (?<last>${NUM}), rose in \d+ of \d+ epochs; val acc (?<val_acc>${NUM})$`,
        "gm",
      ),
      ranges: { first: LOSS, last: LOSS, val_acc: ACCURACY },
      min: 3,
    },
    {
      what: "memorising network",
      pattern: new RegExp(
        String
          .raw`train accuracy (?<train>${NUM})%, validation accuracy (?<val>${NUM})%`,
        "g",
      ),
      ranges: { train: PERCENT, val: PERCENT },
    },
    {
      what: "colour chart legend",
      pattern: /colours: (?<list>.+)$/gm,
      classGroup: "list",
    },
  ],
  "02": [
    {
      what: "validation accuracy",
      pattern: new RegExp(
        String
          .raw`^validation accuracy: (?<acc>${NUM}) \((?<photos>\d+) photos\)$`,
        "gm",
      ),
      ranges: { acc: ACCURACY },
    },
    {
      what: "accuracy per class",
      pattern: new RegExp(
        String.raw`^ {2}(?<class>.+?) +(?<percent>${NUM})% right$`,
        "gm",
      ),
      ranges: { percent: PERCENT },
      classGroup: "class",
    },
    {
      what: "confidence",
      pattern: new RegExp(
        String
          .raw`average confidence (?<confidence>${NUM}), accuracy (?<acc>${NUM})`,
        "g",
      ),
      ranges: { confidence: ACCURACY, acc: ACCURACY },
    },
    {
      what: "confusion matrix",
      pattern: /Confusion matrix, \d+ classes/g,
    },
  ],
  "03": [
    {
      what: "comparison table",
      pattern: new RegExp(
        String
          .raw`^\| [^|]+ \| \d+ \| (?<train>${NUM}) \| (?<val>${NUM}) \| (?<gap>${NUM}) \| (?<loss>${NUM}) \| (?<best>${NUM}) \(epoch \d+\) \|`,
        "gm",
      ),
      ranges: {
        train: ACCURACY,
        val: ACCURACY,
        gap: [-1, 1],
        loss: LOSS,
        best: ACCURACY,
      },
      min: 2,
      check: ({ train, val, gap }) =>
        Math.abs(train - val - gap) < 0.0015
          ? undefined
          : `gap ${gap} is not ${train} - ${val}`,
    },
    {
      what: "training accuracy in both modes",
      pattern: new RegExp(
        String
          .raw`training accuracy: during training (?<during>${NUM}), inference mode (?<inference>${NUM})`,
        "g",
      ),
      ranges: { during: ACCURACY, inference: ACCURACY },
      min: 2,
    },
  ],
  "04": [
    {
      what: "validation accuracy",
      pattern: new RegExp(
        String
          .raw`validation accuracy (?<acc>${NUM}) \((?<right>\d+) of (?<photos>\d+)\); (?<wrong>\d+) mistakes`,
        "g",
      ),
      ranges: { acc: ACCURACY },
      check: ({ acc, right, photos, wrong }) =>
        right + wrong === photos && Math.abs(acc - right / photos) < 0.0006
          ? undefined
          : `${right} right and ${wrong} wrong of ${photos} is not ${acc}`,
    },
    {
      what: "nearest neighbours per class",
      pattern: new RegExp(
        String
          .raw`^(?<class>.+?) +(?<percent>${NUM})% of its photos have another`,
        "gm",
      ),
      ranges: { percent: PERCENT },
      classGroup: "class",
    },
  ],
  "05": [
    {
      what: "score table",
      pattern: new RegExp(
        String
          .raw`^\| [^|]+ \| [\d,]+ \| (?<train>${NUM}) \| \*\*(?<val>${NUM})\*\* \| (?:[+−]${NUM} \| ${NUM} \| [\d.e-]+|  \|  \| ) \|$`,
        "gm",
      ),
      ranges: { train: ACCURACY, val: ACCURACY },
      min: 16,
    },
    {
      what: "test accuracy",
      pattern: new RegExp(
        String
          .raw`The final recipe reaches (?<acc>${NUM}) ± (?<se>${NUM}) on the (?<n>\d+) test photos`,
        "g",
      ),
      ranges: { acc: ACCURACY, se: [0, 0.5] },
    },
    {
      what: "accuracy per class",
      pattern: new RegExp(
        String
          .raw`^\| (?<class>[^|]+?) \| (?<tutorial>${NUM}) \| (?<better>${NUM}) \|$`,
        "gm",
      ),
      ranges: { tutorial: ACCURACY, better: ACCURACY },
      classGroup: "class",
    },
    {
      what: "confusion matrix",
      pattern: /Confusion matrix, \d+ classes/g,
      min: 2,
    },
  ],
  "06": [
    {
      what: "backbone accuracy",
      pattern: new RegExp(
        String
          .raw`validation accuracy (?<acc>${NUM}) ± (?<se>${NUM}) on \d+ photos`,
        "g",
      ),
      ranges: { acc: ACCURACY, se: [0, 0.5] },
    },
    {
      what: "nearest neighbours",
      pattern: new RegExp(
        String.raw`: +(?<percent>${NUM})% ± (?<se>${NUM})%$`,
        "gm",
      ),
      ranges: { percent: PERCENT, se: PERCENT },
      min: 3,
    },
    {
      what: "learning-curve table",
      pattern: new RegExp(
        String
          .raw`^\| (?:\d+|all) \| \d+ \| (?<scratch>${NUM}) ± (?:${NUM}|–) \| (?<frozen>${NUM}) ± (?:${NUM}|–) \| (?<tuned>${NUM}) ± (?:${NUM}|–) \| (?<se>${NUM}) \|$`,
        "gm",
      ),
      ranges: {
        scratch: ACCURACY,
        frozen: ACCURACY,
        tuned: ACCURACY,
        se: [0, 0.5],
      },
      min: 2,
    },
  ],
};

/** Options of {@linkcode figureProblems}. */
export interface FigureOptions {
  /** The classes of the data the notebook ran on. */
  classNames: string[];
}

/** The problems of one kind of line. */
function expectationProblems(
  text: string,
  expectation: Expectation,
  classNames: string[],
): string[] {
  const { what, pattern, within, ranges = {}, min = 1, classGroup, check } =
    expectation;
  const problems: string[] = [];
  const scope = within
    ? [...text.matchAll(within)].map((m) => m[0]).join("\n")
    : text;
  const matches = [...scope.matchAll(pattern)];
  if (matches.length < min) {
    problems.push(
      `${what}: expected at least ${min} line(s) matching ${pattern}, found ${matches.length}`,
    );
  }
  const named = new Set<string>();
  for (const match of matches) {
    const groups = match.groups ?? {};
    const figures: Record<string, number> = {};
    for (const [name, raw] of Object.entries(groups)) {
      if (raw === undefined || name === classGroup) continue;
      const value = numberOf(raw);
      const range = ranges[name];
      if (!Number.isFinite(value)) {
        problems.push(
          `${what}: ${name} is ${raw}, not a number in "${match[0]}"`,
        );
      } else if (range && !(value >= range[0] && value <= range[1])) {
        problems.push(
          `${what}: ${name} is ${raw}, outside [${range[0]}, ${range[1]}] in "${
            match[0]
          }"`,
        );
      }
      figures[name] = value;
    }
    const relation = Object.values(figures).every(Number.isFinite)
      ? check?.(figures)
      : undefined;
    if (relation) problems.push(`${what}: ${relation} in "${match[0]}"`);
    if (classGroup) {
      const shown = groups[classGroup] ?? "";
      for (const name of classNames) {
        if (shown === name || shown.split(", ").includes(name)) named.add(name);
      }
    }
  }
  if (classGroup && matches.length > 0) {
    const missing = classNames.filter((name) => !named.has(name));
    if (missing.length > 0) {
      problems.push(`${what}: no line names ${missing.join(", ")}`);
    }
  }
  return problems;
}

/** Epoch lines (`Epoch 3/15  92/92  47s …  loss 0.8432  acc 0.6747 …`): every metric sane. */
function epochLineProblems(text: string): string[] {
  const problems: string[] = [];
  const metric = new RegExp(
    String
      .raw`\b(?<name>val_acc|acc|val_loss|loss|lr) (?<value>${NUM})(?=\s|$)`,
    "g",
  );
  for (const [line] of text.matchAll(/^Epoch \d+\/\d+ {2}.*$/gm)) {
    for (const { groups } of line.matchAll(metric)) {
      const { name, value: raw } = groups!;
      const value = numberOf(raw);
      const range = name.endsWith("acc")
        ? ACCURACY
        : name === "lr"
        ? [Number.MIN_VALUE, 1]
        : LOSS;
      if (!Number.isFinite(value) || value < range[0] || value > range[1]) {
        problems.push(
          `epoch line: ${name} is ${raw}, outside [${range[0]}, ${
            range[1]
          }] in "${line}"`,
        );
      }
    }
  }
  return problems;
}

/**
 * Which printed figures of a notebook are not sane: any `NaN`, an accuracy
 * outside [0, 1] (or a percentage outside [0, 100]), a negative loss, figures
 * that contradict each other (a confusion matrix's diagonal and its percentage),
 * a line the notebook always prints that is missing, or a class it does not
 * name where it lists them.
 *
 * @param name The notebook's file name (`02_flower_classification.ipynb`).
 * @param text Its outputs' text, from {@linkcode outputText}.
 * @param options The classes of the data it ran on.
 * @returns One sentence per problem; empty when every figure is sane.
 */
export function figureProblems(
  name: string,
  text: string,
  options: FigureOptions,
): string[] {
  const problems: string[] = [];
  for (const [line] of text.matchAll(/^.*\bNaN\b.*$/gm)) {
    problems.push(`NaN printed: "${line}"`);
  }
  const found = text.match(
    /Found (?<files>\d+) files belonging to (?<classes>\d+) classes/,
  );
  if (
    found && Number(found.groups!.classes) !== options.classNames.length
  ) {
    problems.push(
      `found ${
        found.groups!.classes
      } classes, expected ${options.classNames.length}`,
    );
  }
  problems.push(...epochLineProblems(text));
  const expectations = [...COMMON, ...(NOTEBOOKS[name.slice(0, 2)] ?? [])];
  for (const expectation of expectations) {
    problems.push(
      ...expectationProblems(text, expectation, options.classNames),
    );
  }
  return problems.map((problem) => `${name}: ${problem}`);
}
