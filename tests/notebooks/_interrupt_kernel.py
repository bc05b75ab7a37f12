"""Stop (interrupt) in Deno's Jupyter kernel, driven the way a frontend does.

Usage: python3 _interrupt_kernel.py NOTEBOOK WORKDIR ROUNDS SEED

Starts the kernel registered as `deno` (by `deno task kernel`) with
jupyter_client, runs notebook 2's cells up to its training cell in quick mode
(4 epochs and FRESH = false, so that re-running the cell resumes, as in a full
run), then:

1. interrupts the training cell after its first epoch line; checks the kernel
   answers, the model predicts, and re-running the cell resumes and finishes;
2. interrupts a load of all the photos into an empty pixel cache while it
   decodes; checks the error, that no cache file was left, and that the kernel
   and the earlier dataset still work;
3. interrupts a synchronous 3-second computation (as an explanation map is):
   the cell must end normally and the kernel stay;
4. ROUNDS times: builds a fresh model, starts the training cell and interrupts
   it at a random moment (seeded), then checks the kernel answers within
   HANG_S seconds and that re-running the cell finishes the run.

Prints one JSON object per check on stdout (`{"check": ..., "ok": ...}`) and
ends with `{"summary": ...}`; exits 1 if any check failed. A hang is reported
with the moment the interrupt was sent.
"""

import json
import os
import queue
import random
import sys
import time
import traceback

import nbformat
from jupyter_client.manager import start_new_kernel

HANG_S = 120  # a cell still busy this long after Stop counts as a hang
LATE_S = 1.0  # quiet seconds after idle before a cell's output counts as complete


def main():
    notebook_path, workdir, rounds, seed = sys.argv[1:5]
    rounds, seed = int(rounds), int(seed)
    notebook = nbformat.read(notebook_path, as_version=4)
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    setup = next(i for i, s in enumerate(cells) if "const QUICK" in s)
    train_cell = next(i for i, s in enumerate(cells) if "trainWithCheckpoints(model" in s)
    model_cell = next(i for i, s in enumerate(cells) if "createTutorialCnn({" in s)
    cells[setup] = (
        cells[setup]
        .replace("const EPOCHS = QUICK ? 2 : 15;", "const EPOCHS = QUICK ? 4 : 15;")
        .replace("const FRESH = QUICK;", "const FRESH = false;")
    )
    assert "QUICK ? 4" in cells[setup] and "FRESH = false" in cells[setup], "setup cell changed"

    env = dict(os.environ, CNN_QUICK="1", CNN_CHECKPOINTS=f"{workdir}/checkpoints",
               CNN_MODEL_DIR=f"{workdir}/model", NO_COLOR="1")
    km = kc = None
    results = []

    def report(check, ok, **detail):
        entry = {"check": check, "ok": bool(ok), **detail}
        results.append(entry)
        print(json.dumps(entry), flush=True)

    def start(code):
        return kc.execute(code), time.time()

    def collect(msg_id, timeout, until=None):
        """Output text and error of a cell, until idle (or `until(text)` is true).

        Deno's kernel sometimes sends a cell's last console.log lines just after
        reporting idle, so after idle this keeps reading until LATE_S seconds pass
        without a message for the cell.
        """
        text, error, end, idle_at = [], None, time.time() + timeout, None
        while time.time() < end:
            try:
                wait = LATE_S if idle_at else max(0.05, end - time.time())
                msg = kc.get_iopub_msg(timeout=wait)
            except queue.Empty:
                if idle_at:
                    return "".join(text), error, True
                break
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                text.append(content["text"])
            elif kind in ("display_data", "update_display_data", "execute_result"):
                text.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                error = f'{content["ename"]}: {content["evalue"]}'
            elif kind == "status" and content["execution_state"] == "idle":
                idle_at = time.time()
            if until and until("".join(text)):
                return "".join(text), error, False
        return "".join(text), error, idle_at is not None

    def run(code, timeout=600):
        msg_id, _ = start(code)
        text, error, idle = collect(msg_id, timeout)
        if not idle:
            raise RuntimeError(f"cell did not finish in {timeout} s: {code[:80]!r}")
        return text, error

    def alive():
        text, error = run("console.log(6 * 7)", timeout=HANG_S)
        return error is None and "42" in text

    try:
        # A kernel's first start on a fresh machine, beside other tests, can
        # take longer than jupyter_client's default minute.
        km, kc = start_new_kernel(kernel_name="deno", cwd=os.path.dirname(os.path.abspath(notebook_path)),
                                  env=env, startup_timeout=300)
        for i in range(train_cell):
            _, error = run(cells[i])
            if error:
                raise RuntimeError(f"cell {i} failed: {error}")

        # 1. Stop after the first epoch line, then evaluate and re-run.
        msg_id, _ = start(cells[train_cell])
        text, error, idle = collect(msg_id, 600, until=lambda t: "Epoch 1/4 " in t and "val_acc" in t)
        km.interrupt_kernel()
        more, error, idle = collect(msg_id, HANG_S)
        text += more
        report("training: Stop after epoch 1 ends the cell", idle and error and "TrainingInterrupted" in error,
               error=error)
        report("training: the display says where it stopped", "stopped by an interrupt" in text)
        report("training: the kernel answers", alive())
        out, err = run("const p = model.predict(tf.zeros([1, ...IMAGE_SIZE, 3])) as tf.Tensor;"
                       " console.log(`finite ${(await p.data()).every(Number.isFinite)}`); p.dispose();")
        report("training: the model predicts afterwards", err is None and "finite true" in out, error=err)
        out, err = run(cells[train_cell])
        report("training: re-running the cell resumes and finishes",
               err is None and "Resuming from epoch" in out and "Epoch 4/4" in out, error=err)

        # 2. Stop while decoding every photo into an empty pixel cache.
        cache = f"{workdir}/cache"
        msg_id, sent = start(
            "const reload = await loadDataset(DATA, { imageSize: IMAGE_SIZE, batchSize: BATCH_SIZE,"
            f" validationSplit: VALIDATION_SPLIT, seed: SEED, cacheDir: {json.dumps(cache)} }});")
        text, error, idle = collect(msg_id, 600, until=lambda t: "Decoding" in t)
        km.interrupt_kernel()
        more, error, idle = collect(msg_id, HANG_S)
        report("loading: Stop while decoding ends the cell",
               idle and error and "Loading stopped by an interrupt after" in error, error=error)
        left = os.listdir(cache) if os.path.isdir(cache) else []
        report("loading: no pixel cache file is left half-written", left == [], left=left)
        report("loading: the kernel answers", alive())
        out, err = run("console.log(`batches ${train.numBatches}`)")
        report("loading: the earlier dataset still works", err is None and "batches" in out, error=err)

        # 3. Stop during a synchronous computation (as an explanation map is):
        #    it cannot stop there; the Stop is reported and ignored, the kernel stays.
        msg_id, _ = start("globalThis.sync = 0; { const end = performance.now() + 3000;"
                          " while (performance.now() < end) globalThis.sync++; } console.log('sync done');")
        time.sleep(1.0)
        km.interrupt_kernel()
        text, error, idle = collect(msg_id, HANG_S)
        report("synchronous work: the Stop waits for it, the cell ends normally",
               idle and error is None and "sync done" in text, error=error)
        report("synchronous work: the kernel answers", alive())

        # 4. Stop at random moments during training.
        rng = random.Random(seed)
        hangs = 0
        for r in range(rounds):
            run("await Deno.remove(CHECKPOINTS, { recursive: true }).catch(() => {});")
            run(cells[model_cell])
            delay = rng.uniform(0.0, 8.0)
            msg_id, _ = start(cells[train_cell])
            time.sleep(delay)
            km.interrupt_kernel()
            text, error, idle = collect(msg_id, HANG_S)
            if not idle:
                hangs += 1
            answered = idle and alive()
            out, err = run(cells[train_cell]) if answered else ("", "no answer")
            finished = err is None and "Epoch 4/4" in out or "Restored a finished run" in out
            report(f"random Stop {r + 1}/{rounds} at {delay:.2f} s", answered and finished,
                   outcome="interrupted" if error else "finished before the Stop",
                   error=error, rerun_error=err)
        report("random Stops: no hang", hangs == 0, hangs=hangs, rounds=rounds)
    except Exception as e:  # a cell that never finished, a kernel that died: say which
        report("the driver ran every check", False, error=f"{type(e).__name__}: {e}",
               traceback=traceback.format_exc()[-2000:])
    finally:
        if km is not None:
            km.shutdown_kernel(now=True)

    failed = [r for r in results if not r["ok"]]
    print(json.dumps({"summary": f"{len(results) - len(failed)} passed, {len(failed)} failed"}), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
