"""Regenerates every notebook from its source (make_*.py), runs it top to bottom in a python3
kernel and stores it with its outputs and figures: ``python -m notebooks.build [NAME ...]``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
import copy

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_notebook

from notebooks import make_gadgets, make_irrational_weights, make_quickstart

HERE = Path(__file__).parent
SOURCES: dict[str, list[nbformat.NotebookNode]] = {  # each notebook's cells, unexecuted
    "quickstart": make_quickstart.cells, "gadgets": make_gadgets.cells,
    "irrational_weights": make_irrational_weights.cells}


def source(name: str) -> nbformat.NotebookNode:
    """The notebook as its make_*.py writes it, unexecuted, with stable cell ids."""
    notebook = new_notebook(cells=copy.deepcopy(SOURCES[name]))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(notebook.cells):
        cell.id = f"cell-{i}"
    return notebook


def execute(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Runs the notebook in place, from notebooks/, with this tree's etr_nn on the kernel's path."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    NotebookClient(notebook, timeout=600, kernel_name="python3", record_timing=False, coalesce_streams=True,
                   resources={"metadata": {"path": str(HERE)}}).execute(env=env)
    return notebook


def main(names: list[str]) -> None:
    for name in names or SOURCES:
        nbformat.write(execute(source(name)), HERE / f"{name}.ipynb")
        print(f"notebooks/{name}.ipynb")


if __name__ == "__main__":
    main(sys.argv[1:])
