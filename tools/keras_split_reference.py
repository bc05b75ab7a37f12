#!/usr/bin/python3
"""Which files Keras' image_dataset_from_directory puts in training and validation.

A re-implementation of Keras 3's `index_directory` (keras/src/utils/
dataset_utils.py, local paths) followed by `get_training_or_validation_split`,
with real numpy, for checking lib/dataset/image_folder.ts without TensorFlow:

- class folders: `sorted(os.listdir(dir))`, kept when `os.path.isdir` (so a
  symlink to a folder counts) and the name does not start with ".";
- files of a class: `os.walk(class_dir)` (symlinked subfolders not followed),
  walked folders sorted by path, file names sorted within each, kept when
  `name.lower()` ends with .bmp, .gif, .jpeg, .jpg or .png;
- `np.random.RandomState(seed).shuffle(file_paths)`, and the labels with a
  fresh `RandomState(seed)`;
- the last `int(validation_split * n)` files are validation, the rest training.

Two uses, run with Debian's numpy (apt-get install python3-numpy):

    # the split of a real folder, as JSON of paths relative to DIR
    /usr/bin/python3 tools/keras_split_reference.py DIR --seed 123 --validation-split 0.2

    # regenerate tests/dataset/testdata/keras_split.json (a small tricky tree)
    /usr/bin/python3 tools/keras_split_reference.py --testdata
"""

import argparse
import json
import os
import pathlib
import sys
import tempfile

import numpy as np

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests/dataset/testdata/keras_split.json"

# The test tree: image files (written as tiny PNGs whatever their extension),
# other files, and symlinks (link -> target, relative to the link's folder).
TREE_IMAGES = [
    "Bird/0.png", "Bird/1.png", "Bird/10.png", "Bird/2.JPG", "Bird/9.jpeg",
    "Bird/a.Png", "Bird/B.png", "Bird/_.gif", "Bird/~.bmp",
    "cat/a.png", "cat/b.PNG", "cat/.hidden.png", "cat/sub/c.png",
    "cat/sub b/d.png", "cat/sub-b/e.png", "cat/sub/deeper/f.bmp",
    "cat/.cache/g.png", "cat/dir.png/h.png", "cat/\uff21.png",
    "cat/\U0001f600.png", "cat/\u00e9.png", "cat/z.png",
    "dog house/a b.png", "dog house/a-b.png", "dog house/a_b.png",
    "dog house/A.png", "dog house/a.jpg", "dog house/a.jpeg",
    "\u00f1u/x.png", "\u00f1u/y.png", "\u00f1u/Y.png", "\u00f1u/y y/1.png",
    ".hidden/a.png", "top.png",
]
TREE_OTHER = [
    "cat/notes.txt", "cat/noext", "cat/png", "Bird/x.png.txt",
    "dog house/.DS_Store", "README.txt",
]
TREE_SYMLINKS = [
    ["cat/link.png", "a.png"],
    ["cat/linkdir", "sub"],
    ["zebra", "cat"],
]
CASES = [
    {"seed": 123, "validation_split": 0.2},
    {"seed": 0, "validation_split": 0.5},
    {"seed": 1, "validation_split": 0.25},
    {"seed": 2**31 - 1, "validation_split": 0.3},
    {"seed": 2**32 - 1, "validation_split": 0.1},
]


def index_directory(directory):
    """Keras' index_directory(labels="inferred", follow_links=False, shuffle=False)."""
    class_names = [
        name for name in sorted(os.listdir(directory))
        if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
    ]
    file_paths, labels = [], []
    for label, name in enumerate(class_names):
        class_dir = os.path.join(directory, name)
        for root, _, files in sorted(os.walk(class_dir), key=lambda x: x[0]):
            for fname in sorted(files):
                if fname.lower().endswith(ALLOWLIST_FORMATS):
                    relative = os.path.relpath(os.path.join(root, fname), class_dir)
                    file_paths.append(os.path.join(directory, name, relative))
                    labels.append(label)
    return file_paths, np.asarray(labels, dtype="int32"), class_names


def keras_split(directory, seed, validation_split):
    """Training and validation paths (relative to directory), labels and class names."""
    file_paths, labels, class_names = index_directory(directory)
    np.random.RandomState(seed).shuffle(file_paths)
    np.random.RandomState(seed).shuffle(labels)
    num_val = int(validation_split * len(file_paths))
    relative = [os.path.relpath(p, directory) for p in file_paths]
    return {
        "class_names": class_names,
        "training": relative[:-num_val],
        "training_labels": labels[:-num_val].tolist(),
        "validation": relative[-num_val:],
        "validation_labels": labels[-num_val:].tolist(),
    }


def write_testdata():
    with tempfile.TemporaryDirectory() as root:
        for path in TREE_IMAGES + TREE_OTHER:
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            pathlib.Path(full).write_bytes(b"")
        for link, target in TREE_SYMLINKS:
            os.symlink(target, os.path.join(root, link))
        # With shuffle=False Keras keeps the sorted index order.
        index = [os.path.relpath(p, root) for p in index_directory(root)[0]]
        cases = [dict(case, **keras_split(root, case["seed"], case["validation_split"])) for case in CASES]
    data = {
        "generator": "tools/keras_split_reference.py --testdata",
        "numpy": np.__version__,
        "images": TREE_IMAGES,
        "other_files": TREE_OTHER,
        "symlinks": TREE_SYMLINKS,
        "index": index,
        "cases": cases,
    }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Wrote {len(cases)} cases to {OUT}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--validation-split", type=float, default=0.2)
    parser.add_argument("--testdata", action="store_true", help=f"write {OUT.name}")
    args = parser.parse_args()
    if args.testdata:
        write_testdata()
    elif args.directory:
        json.dump(keras_split(args.directory, args.seed, args.validation_split), sys.stdout, ensure_ascii=False)
        print()
    else:
        parser.error("give a DIRECTORY or --testdata")


if __name__ == "__main__":
    main()
