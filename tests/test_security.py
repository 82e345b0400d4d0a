"""Input is never evaluated as code; every input is bounded; output files are written atomically."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import warnings
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

from etr_nn import files
from etr_nn.cli import main
from etr_nn.errors import InputError
from etr_nn.exact import RealAlgebraic, from_json, from_sympy, parse_number, parse_rational, real_roots, to_json
from etr_nn.gadgets.claims import parse_claim
from etr_nn.limits import MAX_DEGREE

SQRT2 = from_sympy(sympy.sqrt(2))


def hostile(marker: Path) -> list[str]:
    """Texts that would do harm (or take forever) if anything evaluated them."""
    return [f"__import__('os').system('touch {marker}')",
            f"exec(\"open('{marker}', 'w')\")",
            f"(lambda: open('{marker}', 'w'))()",
            "().__class__.__base__.__subclasses__()",
            "2**10**10", "10^100000", "(" * 200 + "1" + ")" * 200, "-" * 500 + "1",
            "1e999999999", "9" * 5000, "root of t^1000 - 2 in [1, 2]"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr of the command line, run in this process."""
    start = time.monotonic()
    code = main(argv)
    assert time.monotonic() - start < 10
    return code, capsys.readouterr().err


def assert_rejected(code: int, err: str, marker: Path, *names: str) -> None:
    assert code == 2 and not marker.exists()
    assert err.startswith("etr-nn: error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 3  # one message (a claim adds its text and a caret)
    for name in names:
        assert name in err


# --- the number parser ----------------------------------------------------------------------

def test_parse_number_values() -> None:
    assert parse_number("sqrt(2)/2") == SQRT2 / 2
    assert parse_number("1/2") == Fraction(1, 2) and parse_number("-3.25") == Fraction(-13, 4)
    assert parse_number("2^(1/3)") == parse_number("cbrt(2)") == parse_number("root(2, 3)") == from_sympy(sympy.cbrt(2))
    assert parse_number("root of t^2 - 2 in [1, 2]") == SQRT2
    assert parse_number("root of t^2 - 2 in [1, 2] ≈ 1.41421356") == SQRT2
    assert parse_number("(1 + sqrt(5)) / 2") == from_sympy((1 + sympy.sqrt(5)) / 2)
    assert parse_number("-2^2") == -4 and parse_number("2^-2") == Fraction(1, 4) and parse_number("2**10") == 1024
    assert parse_number("1e-3") == Fraction(1, 1000) and parse_number("3 × 2 ÷ 4 − 1") == Fraction(1, 2)
    assert parse_number("root(-8, 3)") == -2 and parse_number("root of x^2 - 4 in [0, 3]") == 2


def test_str_of_a_number_parses_back_to_it() -> None:
    numbers = [SQRT2, -SQRT2, SQRT2 / 3 - 7, from_sympy(sympy.cbrt(2)), Fraction(-7, 2), Fraction(0)]
    numbers += real_roots([-1, -1, 0, 3]) + real_roots([1, -5, 0, 1]) + real_roots([-2, 0, 0, 0, 1])
    for x in numbers:
        assert parse_number(str(x)) == x
        assert from_json(json.loads(json.dumps(to_json(x)))) == x


@pytest.mark.parametrize("text", ["", "1 2", "x", "sqrt(-1)", "1/0", "0^-1", "2^(1/1000)", "root(2, 0)",
                                  "root of t^2 - 2 in [0, 1/2]", "root of t^2 - 2 in [sqrt(2), 2]", "3 ≈ 1",
                                  "1;2", "sqrt(2)+sqrt(3)+sqrt(5)+sqrt(7)+sqrt(11)+sqrt(13)", "f(1)", "'1'"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


def test_parse_number_rejects_hostile_text_quickly(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    for text in hostile(marker):
        start = time.monotonic()
        with pytest.raises(ValueError):
            parse_number(text)
        assert time.monotonic() - start < 1 and not marker.exists()


def test_rationals_from_text_are_bounded() -> None:
    assert parse_rational(" -7/2 ") == Fraction(-7, 2) and parse_rational("1.5e2") == 150
    assert parse_rational(".5") == Fraction(1, 2) and parse_rational("0e999999999") == 0
    for text in ["1e999999999", "1e-999999999", "1e99999999999999999999", "9" * 5000, "1/" + "9" * 5000,
                 "1/0", "1_000", "nan", "inf", "0x10", "1/-2", "sqrt(2)"]:
        with pytest.raises(ValueError):
            parse_rational(text)


def test_from_sympy_takes_no_strings(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    with pytest.raises(TypeError):
        from_sympy(f"__import__('os').system('touch {marker}')")
    with pytest.raises(TypeError):
        from_sympy("sqrt(2)")
    assert not marker.exists() and from_sympy(sympy.sqrt(2)) == SQRT2 and from_sympy(3) == 3


def test_algebraic_json_is_bounded() -> None:
    for bad in [{"root_of": [-2] + [0] * 999 + [1], "interval": ["1", "2"]},
                {"root_of": [-2, 0, 1], "interval": ["1e999999999", "2"]},
                {"root_of": [-(10**3000), 0, 10**3000 + 1], "interval": ["0", "2"]}]:
        with pytest.raises(ValueError):
            from_json(bad)
    assert from_json({"root_of": [-2] + [0] * (MAX_DEGREE - 1) + [1], "interval": ["1", "2"]}).degree == MAX_DEGREE


# --- text inputs on the command line --------------------------------------------------------

def test_values_are_never_evaluated(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker, out = tmp_path / "MARKER", tmp_path / "lifted.json"
    for text in hostile(marker):
        code, err = run(["lift", str(encodings / "sqrt2.etr"), str(encodings / "sqrt2.json"), "-o", str(out),
                         "--values", f"x={text},z=1"], capsys)
        assert_rejected(code, err, marker, "--values")
        assert not out.exists()
    code, _ = run(["lift", str(encodings / "sqrt2.etr"), str(encodings / "sqrt2.json"), "-o", str(out),
                   "--values", "x=sqrt(2)/2, z=root of t^2 - 2 in [1, 2]"], capsys)
    assert code == 0 and out.exists()


def test_the_reported_command_runs_nothing(encodings: Path, tmp_path: Path) -> None:
    """The issue's reproduction, through the real entry point."""
    marker = tmp_path / "PWNED"
    done = subprocess.run([sys.executable, "-m", "etr_nn", "lift", str(encodings / "sqrt2.etr"),
                           str(encodings / "sqrt2.json"), "-o", str(tmp_path / "l.json"),
                           "--values", f"x=__import__('os').system('touch {marker}'),z=1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and not marker.exists() and not (tmp_path / "l.json").exists()
    assert done.stderr.startswith("etr-nn: error: --values: x:") and len(done.stderr.splitlines()) == 1


def test_claims_are_never_evaluated(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "MARKER"
    texts = [f"f1(0, 0) = {t}" for t in hostile(marker)]
    texts += ["f1(0, 0)^100000 = 1", "f" + "9" * 5000 + "(0, 0) = 1", "W[" + "9" * 50 + "][0] = 1",
              "(W[0][0] + W[0][1] + b[0] + c[0] + A[0][0])^1000 = 0", "f1(0, 0) = 1 " + "+ 1" * 5000]
    for text in texts:
        code, err = run(["gadget", "check", str(encodings / "xor-k2.json"), "--claim", text], capsys)
        assert_rejected(code, err, marker, "claim")


def test_formula_files_are_never_evaluated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker, out = tmp_path / "MARKER", tmp_path / "reduced.json"
    for text in hostile(marker) + ["x = __import__('os')", "x * y = 2**10**10"]:
        formula = tmp_path / "f.etr"
        formula.write_text(f"x = 1\n{text} = y\n")
        code, err = run(["reduce", str(formula), "-o", str(out)], capsys)
        assert_rejected(code, err, marker, str(formula), "line 2")
        assert not out.exists()


def test_cluster_address_is_checked_up_front(encodings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for address in ["__import__('os')", "scheduler.json", "inproc://x", "tcp://host:1; rm -rf /", "tcp://" + "a" * 400 + ":1"]:
        code, err = run(["solve", str(encodings / "xor-k2.json"), "--cluster", address], capsys)
        assert code == 2 and err.startswith("etr-nn: error: --cluster")


# --- JSON files ---------------------------------------------------------------------------

INSTANCE = {"format": "etr-nn/instance/1", "network": {"inputs": 1, "hidden": 1, "outputs": 1},
            "data": [{"x": [0], "y": [0]}, {"x": [1], "y": [1]}]}


def with_number(text: str) -> str:
    """The instance above with `text` (raw JSON) as its second label."""
    return json.dumps(INSTANCE).replace('"y": [1]', f'"y": [{text}]')


@pytest.mark.parametrize("raw", ["1e999999999", '"1e999999999"', "9" * 100_000, '"' + "9" * 100_000 + '"', "NaN",
                                 "Infinity", '"__import__(\'os\').system(\'touch MARKER\')"', '"2**10**10"',
                                 '"().__class__"', '"lambda: 1"', "[" * 100_000 + "]" * 100_000,
                                 '{"root_of": [-2, 0, 1], "interval": [1, 2]}'])
def test_hostile_numbers_in_an_instance(raw: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.json"
    path.write_text(with_number(raw))
    for argv in (["solve", str(path)], ["export", str(path), "--smt2", str(tmp_path / "out.smt2")]):
        code, err = run(argv, capsys)
        assert_rejected(code, err, tmp_path / "MARKER", str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


@pytest.mark.parametrize("backend", ["search", "z3"])
def test_large_numbers_within_the_limits_are_solved(backend: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Numbers inside the input limits never crash a command: a bound past the float range (1e309:
    floats only guide, and overflow to infinity) and a 2200-digit point and label, whose exact
    results pass Python's default 4300-digit limit on int text (Z3's models come out as text)."""
    digits = 2200
    cases = {"huge-bound": {"data": [{"x": [0], "y": [1]}, {"x": [1], "y": [2]}, {"x": [2], "y": [0]}],
                            "max_error": "1e309"},
             "long-digits": {"data": [{"x": ["1/" + "7" * digits], "y": ["9" * digits]}, {"x": [0], "y": [0]}],
                             "max_error": 0}}
    for name, case in cases.items():
        for loss in ("squared", "absolute"):
            path = tmp_path / f"{name}.json"
            path.write_text(json.dumps({"format": "etr-nn/instance/1", "network": {"inputs": 1, "hidden": 1, "outputs": 1},
                                        "loss": loss, **case}))
            for command in (["solve", "--backend", backend], ["optimize"]):
                code = main([command[0], str(path), *command[1:], "--timeout", "60", "--json"])
                out = capsys.readouterr().out
                assert code == 0, (name, loss, command, out)
                assert json.loads(out)["status"] in ("sat", "optimal"), (name, loss, command)


def test_oversized_and_endless_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps(INSTANCE) + " " * 2000)
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 1000)
    code, err = run(["solve", str(big)], capsys)
    assert code == 2 and "larger than 1000 bytes" in err and str(big) in err
    monkeypatch.undo()
    if os.path.exists("/dev/zero"):
        for argv in (["solve", "/dev/zero"], ["reduce", "/dev/zero", "-o", str(tmp_path / "o.json")],
                     ["verify", str(big), "/dev/zero"]):
            code, err = run(argv, capsys)
            assert code == 2 and "/dev/zero" in err and "larger than" in err
    code, err = run(["solve", str(tmp_path)], capsys)
    assert code == 2 and str(tmp_path) in err


def test_hostile_solution_files(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = json.loads((encodings / "sqrt2.solution.json").read_text())
    bad_values = ["1e999999999", "9" * 5000, "__import__('os').system('touch MARKER')",
                  {"root_of": [-2] + [0] * 999 + [1], "interval": ["1", "2"]},
                  {"root_of": [-2, 0, 1], "interval": ["1e999999999", "2"]}]
    for value in bad_values:
        doc = json.loads(json.dumps(good))
        doc["network"]["W"][0][0] = value
        path = tmp_path / "sol.json"
        path.write_text(json.dumps(doc))
        code, err = run(["verify", str(encodings / "sqrt2.json"), str(path)], capsys)
        assert_rejected(code, err, tmp_path / "MARKER", str(path))
    for text in ['{"status": "sat", "network": ' + "[" * 100_000 + "]" * 100_000 + "}",
                 json.dumps(good).replace('"seconds": ', '"seconds": [1], "x": ')]:
        path.write_text(text)
        code, err = run(["verify", str(encodings / "sqrt2.json"), str(path)], capsys)
        assert_rejected(code, err, tmp_path / "MARKER", str(path))


def test_hostile_certificates(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert = tmp_path / "cert.json"
    assert main(["solve", str(encodings / "xor-k1.json"), "--certificate", str(cert), "--quiet"]) == 0
    capsys.readouterr()
    doc = json.loads(cert.read_text())
    for change in ({"order": ["1e999999999"]}, {"hidden": "9" * 5000},
                   {"refuted": [dict(doc["refuted"][0], farkas=["1e999999999"])]}):
        path = tmp_path / "bad-cert.json"
        path.write_text(json.dumps(doc | change))
        code, err = run(["verify", str(encodings / "xor-k1.json"), str(path)], capsys)
        assert_rejected(code, err, tmp_path / "MARKER", str(path))


# --- output files ---------------------------------------------------------------------------

def entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def output_commands(encodings: Path, out: str) -> list[list[str]]:
    return [["solve", str(encodings / "xor-k2.json"), "--output", out, "--quiet"],
            ["solve", str(encodings / "xor-k1.json"), "--certificate", out, "--quiet"],
            ["export", str(encodings / "xor-k2.json"), "--smt2", out],
            ["reduce", str(encodings / "sqrt2.etr"), "-o", out],
            ["lift", str(encodings / "sqrt2.etr"), str(encodings / "sqrt2.json"), "-o", out, "--values", "x=sqrt(2)/2,z=sqrt(2)"],
            ["optimize", str(encodings / "xor-k1.json"), "--output", out]]


def test_output_to_a_directory_leaves_nothing(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "DIR"
    target.mkdir()
    for argv in output_commands(encodings, str(target)):
        code, err = run(argv, capsys)
        assert code == 2 and f"{target}: is a directory" in err, argv
        assert entries(tmp_path) == ["DIR"] and entries(target) == []


def test_output_where_it_cannot_be_written(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "somefile").write_text("keep")
    for out in [tmp_path / "somefile" / "out.json", tmp_path / "missing" / "out.json", Path("/dev/null")]:
        for argv in output_commands(encodings, str(out)):
            code, err = run(argv, capsys)
            assert code == 2 and str(out) in err and "Traceback" not in err, argv
    assert entries(tmp_path) == ["somefile"] and (tmp_path / "somefile").read_text() == "keep"


def test_output_in_a_read_only_directory(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permission bits do not stop writes")
        for argv in output_commands(encodings, str(locked / "out.json")):
            code, err = run(argv, capsys)
            assert code == 2 and str(locked / "out.json") in err
        assert entries(locked) == []
    finally:
        locked.chmod(0o700)


def test_output_over_a_symlink_is_refused(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "out.json"
    link.symlink_to(victim)
    for argv in output_commands(encodings, str(link)):
        code, err = run(argv, capsys)
        assert code == 2 and f"{link}: is a symbolic link" in err
    assert link.is_symlink() and victim.read_text() == "precious" and entries(tmp_path) == ["out.json", "victim.txt"]


def test_output_may_not_be_an_input(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = tmp_path / "xor.json"
    instance.write_text((encodings / "xor-k2.json").read_text())
    before = instance.read_text()
    for argv in (["solve", str(instance), "--output", str(instance)], ["export", str(instance), "--smt2", str(instance)],
                 ["solve", str(instance), "--output", str(tmp_path / "a"), "--certificate", str(tmp_path / "a")]):
        code, err = run(argv, capsys)
        assert code == 2 and err.startswith("etr-nn: error: ")
    assert instance.read_text() == before and entries(tmp_path) == ["xor.json"]


def test_outputs_are_written_whole(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sol.json"
    out.write_text("old")
    assert main(["solve", str(encodings / "xor-k2.json"), "--output", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text())["status"] == "sat" and entries(tmp_path) == ["sol.json"]
    fresh = tmp_path / "fresh.smt2"
    assert main(["export", str(encodings / "xor-k2.json"), "--smt2", str(fresh)]) == 0
    mask = os.umask(0o22)
    os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(InputError, match=f"{out}: cannot write"):
        files.write_atomically(out, "new")
    assert out.read_text() == "old" and entries(tmp_path) == ["out.json"]
    monkeypatch.undo()
    files.write_atomically(out, "new")
    assert out.read_text() == "new" and entries(tmp_path) == ["out.json"]


def test_claims_parse_after_the_bounds() -> None:
    claim = parse_claim("f1(1/2, 0.25) - 2^10 * W[0][0] >= -1.5")
    assert claim.rel == ">=" and claim.probes() == [(Fraction(1, 2), Fraction(1, 4))]
    assert isinstance(SQRT2, RealAlgebraic)


def test_the_float_guide_takes_numbers_past_the_float_range() -> None:
    """The float guide (its turn depends on timing in `solve`) gets 2200-digit data: it ends at once, without an
    exception or a numpy warning (no float fit means anything there); a tiny coordinate, 0 as a float, still guides."""
    from etr_nn.deadline import Deadline
    from etr_nn.instance import Instance, Shape
    from etr_nn.search.guide import Guide

    big = int("9" * 2200)
    instance = Instance("long-digits", Shape(1, 1, 1), ((Fraction(1, big),), (Fraction(0),), (Fraction(1),)),
                        ((Fraction(big),), (Fraction(0),), (Fraction(1),)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        began = time.monotonic()
        assert Guide(instance).run(Deadline.after(5.0)) is None
        assert time.monotonic() - began < 1.0
        tiny = Instance("tiny", Shape(1, 1, 1), ((Fraction(1, big),), (Fraction(1),)), ((Fraction(0),), (Fraction(1),)))
        assert Guide(tiny).run(Deadline.after(5.0)) is not None
