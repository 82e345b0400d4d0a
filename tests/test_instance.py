"""Instance files: exact numbers, and one clear error (exit 2, no traceback) for each bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from etr_nn import instance as instances
from etr_nn.cli import main
from etr_nn.errors import InputError

GOOD = {"format": "etr-nn/instance/1", "name": "t", "network": {"inputs": 2, "hidden": 1, "outputs": 1},
        "data": [{"x": [0, "1/2"], "y": [1]}, {"x": [1, 0], "y": ["-1.25"]}]}


def write(tmp_path: Path, doc: object, raw: str | None = None) -> Path:
    path = tmp_path / "instance.json"
    path.write_text(raw if raw is not None else json.dumps(doc))
    return path


def test_numbers_are_exact(tmp_path: Path) -> None:
    path = write(tmp_path, None, '{"network": {"inputs": 1, "hidden": 1, "outputs": 1}, '
                                 '"data": [{"x": [0.1], "y": [1e-3]}, {"x": ["2/6"], "y": [" -7 "]}], "max_error": 0.25}')
    inst = instances.load(path)
    assert inst.points == ((Fraction(1, 10),), (Fraction(1, 3),))
    assert inst.labels == ((Fraction(1, 1000),), (Fraction(-7),))
    assert inst.max_error == Fraction(1, 4) and inst.loss == "squared" and inst.weights is None


def test_round_trip(tmp_path: Path) -> None:
    inst = instances.from_json(GOOD)
    inst.dump(tmp_path / "again.json")
    assert instances.load(tmp_path / "again.json") == inst


def test_finite_weights_parsed_sorted() -> None:
    inst = instances.from_json({**GOOD, "weights": {"finite": [1, "-1", 0, "1/2", 1]}})
    assert inst.weights == (Fraction(-1), Fraction(0), Fraction(1, 2), Fraction(1))


def test_noisy_data_with_a_loss_bound(tmp_path: Path) -> None:
    """The same point with two labels is an input error at zero error, and data to fit within
    max_error > 0: labels 0 and 1 at x = 0 cost at least 1 (absolute) or 1/2 (squared)."""
    from etr_nn.solve import solve

    doc = {**GOOD, "network": {"inputs": 1, "hidden": 1, "outputs": 1},
           "data": [{"x": [0], "y": [0]}, {"x": [0], "y": [1]}, {"x": [2], "y": [3]}]}
    with pytest.raises(InputError, match="max_error > 0"):
        instances.load(write(tmp_path, doc))
    for loss, least in (("absolute", Fraction(1)), ("squared", Fraction(1, 2))):
        inst = instances.load(write(tmp_path, {**doc, "loss": loss, "max_error": str(least)}))
        assert solve(inst, timeout=30).status == "sat"
        below = instances.load(write(tmp_path, {**doc, "loss": loss, "max_error": str(least * Fraction(9, 10))}))
        assert solve(below, timeout=30).status == "unsat"


BAD = [
    ("missing field", {k: v for k, v in GOOD.items() if k != "network"}, "network"),
    ("missing data", {k: v for k, v in GOOD.items() if k != "data"}, "data"),
    ("wrong dimensions", {**GOOD, "data": [{"x": [0], "y": [1]}]}, "data[0].x"),
    ("label of the wrong length", {**GOOD, "data": [{"x": [0, 0], "y": [1, 2]}]}, "data[0].y"),
    ("negative max_error", {**GOOD, "max_error": -1}, "max_error"),
    ("duplicate point, other label", {**GOOD, "data": [{"x": [0, 0], "y": [1]}, {"x": ["0", "0/3"], "y": [2]}]},
     "data[1]"),
    ("not a number", {**GOOD, "data": [{"x": [0, "abc"], "y": [1]}]}, "data[0].x[1]"),
    ("NaN as string", {**GOOD, "data": [{"x": [0, "nan"], "y": [1]}]}, "data[0].x[1]"),
    ("bad loss", {**GOOD, "loss": "hinge"}, "loss"),
    ("zero hidden", {**GOOD, "network": {"inputs": 2, "hidden": 0, "outputs": 1}}, "network.hidden"),
    ("bad weights", {**GOOD, "weights": {"finite": []}}, "weights"),
    ("boolean", {**GOOD, "data": [{"x": [0, True], "y": [1]}]}, "data[0].x[1]"),
    ("zero denominator", {**GOOD, "data": [{"x": [0, "1/0"], "y": [1]}]}, "data[0].x[1]"),
]


@pytest.mark.parametrize("what, doc, field", BAD, ids=[b[0] for b in BAD])
def test_bad_instance_one_message_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         what: str, doc: object, field: str) -> None:
    path = write(tmp_path, doc)
    with pytest.raises(InputError, match=field.replace("[", r"\[").replace("]", r"\]")):
        instances.load(path)
    assert main(["solve", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err


@pytest.mark.parametrize("raw, needle", [("{\"network\": ", "line 1"), ("[1, NaN]", "NaN"),
                                         ("{\"x\": Infinity}", "Infinity")])
def test_unparseable_json(tmp_path: Path, raw: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        instances.load(write(tmp_path, None, raw))


def test_unreadable_file_from_the_command_line(tmp_path: Path) -> None:
    """A real process: exit code 2, one line on stderr, no traceback, nothing written."""
    out = tmp_path / "sol.json"
    result = subprocess.run([sys.executable, "-m", "etr_nn", "solve", str(tmp_path / "missing.json"),
                             "--output", str(out)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "missing.json" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_bad_usage_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["solve"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("raw, field", [
    ('{"network": {"inputs": 1, "hidden": 1, "outputs": 1}, "data": [{"x": [0], "y": [0]}], '
     '"max_error": 0, "max_error": 1}', "the key \"max_error\" appears twice"),
    ('{"network": {"inputs": 1, "hidden": 1, "outputs": 1}, "data": [{"x": [0], "y": [0]}], "losss": "absolute"}',
     'unknown field "losss"'),
    ('{"network": {"inputs": 1, "hidden": 1, "outputs": 1, "hiden": 2}, "data": [{"x": [0], "y": [0]}]}',
     'network: unknown field "hiden"'),
    ('{"network": {"inputs": 1, "hidden": 1, "outputs": 1}, "data": [{"x": [0], "y": [0], "z": 1}]}',
     'data[0]: unknown field "z"'),
    ('{"name": "ok\\u001b[31m\\r", "network": {"inputs": 1, "hidden": 1, "outputs": 1}, "data": [{"x": [0], "y": [0]}]}',
     "name: expected a printable string"),
])
def test_repeated_keys_unknown_fields_and_unprintable_names_are_refused(tmp_path: Path, raw: str, field: str,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(write(tmp_path, None, raw))]) == 2
    err = capsys.readouterr().err
    assert field in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "abc"])
def test_timeout_must_be_a_positive_finite_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["solve", str(Path(__file__).parent.parent / "encodings" / "xor-k2.json"), "--timeout", value])
    assert stop.value.code == 2 and "--timeout" in capsys.readouterr().err


def test_instances_built_in_python_are_normalised() -> None:
    """Lists and strings become tuples of Fractions (hashable, equal to the loaded instance)."""
    built = instances.Instance("t", instances.Shape(2, 1, 1), points=[[0, "1/2"], [1, 0]], labels=[[1], ["-1.25"]],
                               max_error=0, weights=[1, "-1", 0, 1])
    loaded = instances.from_json({**GOOD, "weights": {"finite": [-1, 0, 1]}})
    assert built == loaded and hash(built) == hash(loaded) and built.weights == (-1, 0, 1)
    assert all(isinstance(v, Fraction) for row in built.points + built.labels for v in row)


@pytest.mark.parametrize("points, field", [([[0], [0.5]], r"points\[1\]\[0\]: expected an exact rational, got the float"),
                                           ([[0], [True]], r"points\[1\]\[0\]"), ([0, 1], r"points\[0\]: expected a list"),
                                           ([[0], ["x"]], r"points\[1\]\[0\]: 'x' is not a rational")])
def test_instances_built_in_python_refuse_inexact_numbers(points: list, field: str) -> None:
    with pytest.raises(InputError, match=field):
        instances.Instance("t", instances.Shape(1, 1, 1), points=points, labels=[[0], [1]])


def test_networks_take_exact_inputs_only_whatever_their_weights() -> None:
    """One rule for rational and algebraic weights: ints, Fractions, real algebraic numbers; a float is a TypeError."""
    from etr_nn.exact import parse_number
    from etr_nn.network import Network

    sqrt2 = parse_number("sqrt(2)")
    rational, algebraic = Network.build([[1]], [0], [[2]], [0]), Network.build([[sqrt2]], [0], [[sqrt2]], [0])
    for network in (rational, algebraic):
        assert network([1]) == network([Fraction(1)]) == (2,)
        assert network([sqrt2]) == (2 * sqrt2,)
        with pytest.raises(TypeError, match=r"x\[0\]: expected an exact number .* got float 0\.5"):
            network([0.5])
        with pytest.raises(ValueError, match="x has 2 entries, the network has 1 inputs"):
            network([1, 2])
