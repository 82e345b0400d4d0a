"""The notebooks run top to bottom (so they can never rot), and the stored ones are current:
built by ``python -m notebooks.build`` from their sources, with outputs and figures."""

from __future__ import annotations


import nbformat
import pytest

from notebooks import build

NAMES = list(build.SOURCES)


def stored(name: str) -> nbformat.NotebookNode:
    return nbformat.read(build.HERE / f"{name}.ipynb", as_version=4)


def kinds(cell: nbformat.NotebookNode) -> set[str]:
    """What a code cell shows: stream names and mime types."""
    return {o.get("name", "") if o.output_type == "stream" else mime
            for o in cell.outputs for mime in o.get("data", {"": None})}


def quiet(cell: nbformat.NotebookNode) -> bool:
    """Only imports (and magics): the one kind of code cell that shows nothing."""
    return all(line.startswith(("import ", "from ", "%")) for line in cell.source.splitlines())


def test_every_notebook_has_a_source() -> None:
    assert sorted(p.stem for p in build.HERE.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_stored_notebook_is_current(name: str) -> None:
    notebook, source = stored(name), build.source(name)
    assert [(c.cell_type, c.source) for c in notebook.cells] == [(c.cell_type, c.source) for c in source.cells], \
        "stale: run python -m notebooks.build"
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, cell.source
        assert quiet(cell) or cell.outputs, cell.source
        assert "error" not in {o.output_type for o in cell.outputs}, cell.source
        if "plt.subplots(" in cell.source:
            assert "image/png" in kinds(cell), cell.source


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name: str) -> None:
    fresh = build.execute(build.source(name))
    errors = [o for cell in fresh.cells for o in cell.get("outputs", []) if o.output_type == "error"]
    assert not errors
    code = [c for c in stored(name).cells if c.cell_type == "code"]
    assert [kinds(c) for c in fresh.cells if c.cell_type == "code"] == [kinds(c) for c in code], \
        "outputs changed: run python -m notebooks.build"
