"""The command line keeps its word: `-` is standard output, messages name the files and fields
the user gave, --cluster fails at once without dask, and the solution format reads numbers as
the instance format does."""

from __future__ import annotations

import importlib.util
import os
from fractions import Fraction
from pathlib import Path

import pytest

from etr_nn import files
from etr_nn import instance as instances
from etr_nn import solution as solutions
from etr_nn.cli import main
from etr_nn.errors import InputError


def test_export_dash_writes_standard_output(encodings: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(encodings / "relu.json"), "--smt2", "-"]) == 0
    text = capsys.readouterr().out
    assert main(["export", str(encodings / "relu.json"), "--smt2", "out.smt2"]) == 0
    assert text == (tmp_path / "out.smt2").read_text() and text.startswith("; etr-nn direct encoding of relu")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.smt2"]


def test_a_failed_write_names_the_output_not_its_temporary(encodings: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.smt2"

    def fail(source: str, target: object) -> None:
        raise OSError(5, "Input/output error", source, str(target))

    monkeypatch.setattr(os, "replace", fail)
    assert main(["export", str(encodings / "relu.json"), "--smt2", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"etr-nn: error: {out}: cannot write (Input/output error)\n"
    assert list(tmp_path.iterdir()) == []


def test_cluster_without_dask_is_an_error_at_once(encodings: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Even on an instance the first second in this process decides (the cluster is never reached)."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else find_spec(name, *a))
    assert main(["solve", str(encodings / "xor-k2.json"), "--cluster", "tcp://127.0.0.1:8786"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--cluster needs dask.distributed" in captured.err


# --- one number reader -------------------------------------------------------------------

INSTANCE = '{"network": {"inputs": 1, "hidden": 1, "outputs": 1}, "data": [{"x": [0], "y": [NUMBER]}]}'
SOLUTION = ('{"format": "etr-nn/solution/1", "status": "sat", "network": {"W": [[1]], "b": [0], "A": [[1]], '
            '"c": [NUMBER]}, "error": 0, "seconds": 1.5}')


@pytest.mark.parametrize("number", ["1", "1.0", "-1.25e1", '"1/2"', '" -7/2 "', '"0.1"', "0.1", "true", '"abc"',
                                    '"1/0"', "null", "[1]", "NaN", "-Infinity"])
def test_instances_and_solutions_read_numbers_alike(number: str, tmp_path: Path) -> None:
    """The same number is accepted (with the same exact value) or refused (naming the field) by both formats."""
    read: list[Fraction | str] = []
    for template, path, load, field in ((INSTANCE, tmp_path / "i.json", instances.load, "data[0].y[0]"),
                                        (SOLUTION, tmp_path / "s.json", solutions.load, "network.c[0]")):
        path.write_text(template.replace("NUMBER", number))
        try:
            doc = load(path)
        except InputError as error:
            assert f"{path}: {field}: " in str(error)
            read.append("refused")
        else:
            read.append(doc.labels[0][0] if isinstance(doc, instances.Instance) else doc.network.c[0])
    assert read[0] == read[1]


def test_nan_names_its_field(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"status": "sat", "network": {"W": [[1]], "b": [0], "A": [[1]], "c": [0]}, '
                    '"extra": {"list": [0, Infinity]}}')
    with pytest.raises(InputError, match=r"s\.json: extra\.list\[1\]: Infinity is not a number"):
        solutions.load(path)
    with pytest.raises(InputError, match="<text>: top level: NaN"):
        files.loads_json("NaN", "<text>")


def test_decimals_everywhere_in_a_solution(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """relu-sqrt2.solution.json with every rational written as a JSON decimal: the same exact solution."""
    text = (encodings / "relu-sqrt2.solution.json").read_text()
    decimals = text.replace('"0"', "0.0").replace("[-2, 0, 1]", "[-2.0, 0, 1e0]").replace('["1", "2"]', "[1.0, 2]")
    assert decimals.count(".0") >= 4
    path = tmp_path / "decimals.json"
    path.write_text(decimals)
    original = solutions.load(encodings / "relu-sqrt2.solution.json")
    assert solutions.load(path).network == original.network
    assert main(["verify", str(encodings / "relu.json"), str(path)]) == 0
    assert "valid" in capsys.readouterr().out


def test_start_up_leaves_numpy_for_later() -> None:
    """Every command starts in a fresh process, so start-up counts in every answer (a 0.2 s solve
    is mostly start-up): the command line and a zero-error solve decided before the float guide's
    first turn do not import numpy (≈ 50 ms); the loss bounds and the guide import it when they run."""
    import subprocess
    import sys

    code = ("import sys; from etr_nn.cli import main; main(['solve', 'encodings/xor-k2.json']); "
            "assert 'numpy' not in sys.modules, 'numpy imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("command", [["solve"], ["gadget", "check", "--claim", "f1(1) = 1"]])
def test_workers_below_one_are_an_input_error(command: list[str], encodings: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, str(encodings / "relu.json"), "--workers", "0"]) == 2
    assert "--workers: must be at least 1" in capsys.readouterr().err
