#!/usr/bin/python3
"""Reference outputs of numpy's legacy RandomState for lib/dataset/_numpy_random.ts.

Writes tests/dataset/testdata/numpy_shuffle.json: raw 32-bit draws and
RandomState(seed).shuffle results for seeds 0, 1, 123 and 2**31 - 1. Short
permutations are stored in full; long ones (more than 2**16 elements) as their
first and last elements and a SHA-256 of the permutation as little-endian
int32 bytes.

Run with Debian's numpy (apt-get install python3-numpy):

    /usr/bin/python3 tools/numpy_shuffle_reference.py
"""

import hashlib
import json
import pathlib

import numpy as np

SEEDS = [0, 1, 123, 2**31 - 1]
# Short lengths, stored in full.
FULL_LENGTHS = [0, 1, 2, 3, 10, 100]
# Long lengths: flower_photos' 3670 files, around 2**16, and past 2**20.
LONG_LENGTHS = [3670, 2**16, 2**16 + 1, 70000, 2**20 + 3]
# Elements kept from each end of a long permutation.
ENDS = 8
# Raw draws kept: the first few and a few across the first twist (624 words).
DRAWS = 1000
DRAW_POSITIONS = [0, 1, 2, 3, 4, 622, 623, 624, 625, 999]

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests/dataset/testdata/numpy_shuffle.json"


def permutation(seed, n):
    """RandomState(seed).shuffle of a Python list, as Keras shuffles file paths."""
    items = list(range(n))
    np.random.RandomState(seed).shuffle(items)
    # Keras shuffles its label array (an ndarray) with a fresh RandomState(seed):
    # the typed path must give the same order as the list path.
    labels = np.arange(n)
    np.random.RandomState(seed).shuffle(labels)
    assert labels.tolist() == items
    return np.asarray(items, dtype="<i4")


def main():
    draws = []
    for seed in SEEDS + [5489]:
        # high=2**32 with uint32 returns MT19937's raw next_uint32 outputs.
        values = np.random.RandomState(seed).randint(0, 2**32, size=DRAWS, dtype=np.uint32)
        draws.append({"seed": seed, "positions": DRAW_POSITIONS,
                      "values": [int(values[p]) for p in DRAW_POSITIONS]})
    shuffles = []
    for seed in SEEDS:
        for n in FULL_LENGTHS:
            shuffles.append({"seed": seed, "length": n, "permutation": permutation(seed, n).tolist()})
        for n in LONG_LENGTHS:
            perm = permutation(seed, n)
            shuffles.append({
                "seed": seed,
                "length": n,
                "head": perm[:ENDS].tolist(),
                "tail": perm[-ENDS:].tolist(),
                "sha256": hashlib.sha256(perm.tobytes()).hexdigest(),
            })
    data = {
        "generator": "tools/numpy_shuffle_reference.py",
        "numpy": np.__version__,
        "draws": draws,
        "shuffles": shuffles,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"Wrote {len(shuffles)} shuffles and {len(draws)} draw lists to {OUT}")


if __name__ == "__main__":
    main()
