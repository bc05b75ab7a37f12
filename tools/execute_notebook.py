"""Execute a Jupyter notebook top to bottom, keeping output that arrives late.

Usage: python3 execute_notebook.py NOTEBOOK OUTPUT [CELL_TIMEOUT_S]

`jupyter nbconvert --execute` stops collecting a cell's output as soon as the
kernel reports it is idle. Deno's kernel sometimes sends a cell's last
`console.log` lines just after that report (more often on a busy machine), and
nbconvert then drops them: the saved notebook shows a cell that printed
nothing. This runner is nbclient with one change: after the idle report it
keeps listening for the same cell's messages until the kernel has been quiet
for LATE_OUTPUT_S seconds, and adds whatever arrives to that cell.

The exercises' solution cells (code cells whose source is hidden) run like
every other cell, but are saved without their outputs, so no answer shows
under an exercise before the reader runs it; a failed one keeps its error.
"""

import queue
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async

# Seconds of silence after the idle report before a cell counts as finished.
LATE_OUTPUT_S = 1.0
# Seconds to wait for a cell's outputs once its reply has come.
IOPUB_TIMEOUT_S = 60


class PatientClient(NotebookClient):
    """An nbclient that waits for output sent after the kernel went idle."""

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        idle = False
        while True:
            try:
                msg = await ensure_async(
                    self.kc.iopub_channel.get_msg(
                        timeout=LATE_OUTPUT_S if idle else None
                    )
                )
            except queue.Empty:
                return  # quiet since the idle report: the cell is done
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                idle = True


def clear_solution_outputs(notebook):
    """Drops the outputs of hidden (solution) cells that ran without error."""
    for cell in notebook.cells:
        hidden = cell.get("metadata", {}).get("jupyter", {}).get("source_hidden")
        failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if cell.cell_type == "code" and hidden and not failed:
            cell.outputs = []
            cell.execution_count = None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    source, output = sys.argv[1], sys.argv[2]
    timeout = int(sys.argv[3]) if len(sys.argv) > 3 else -1
    notebook = nbformat.read(source, as_version=4)
    client = PatientClient(
        notebook,
        timeout=None if timeout < 0 else timeout,
        iopub_timeout=IOPUB_TIMEOUT_S + 1,
        resources={"metadata": {"path": "."}},
    )
    try:
        client.execute()
    finally:
        # Keep what ran, also when a cell failed (the error is in its outputs).
        clear_solution_outputs(notebook)
        nbformat.write(notebook, output)


if __name__ == "__main__":
    main()
