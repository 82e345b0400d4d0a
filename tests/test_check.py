"""`etr-nn check`: the SMT-LIB reader (round trips through to_smt2, known answers, push/pop,
bad input as one line with exit 2), agreement with Z3 on random formulas with every model
checked exactly, and the time limit kept by the CAD."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import flint
import pytest

from benchmarks.check import closed_hong, hong, long_sum, random_script
from etr_nn import check
from etr_nn.cli import main
from etr_nn.errors import InputError
from etr_nn.exact import RealAlgebraic
from etr_nn.poly import And, Atom, Formula, Or, System, to_smt2
from etr_nn.poly.script import parse_script
from etr_nn.z3lib import z3

ROOT = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, text: str, *options: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    path = tmp_path / "f.smt2"
    path.write_text(text)
    code = main(["check", str(path), *options])
    out, err = capsys.readouterr()
    return code, out, err


# --- round trips ---------------------------------------------------------------------------

def random_formula(rng: random.Random, ctx: flint.fmpq_mpoly_ctx, depth: int = 2) -> Formula:
    if depth == 0 or rng.random() < 0.4:
        poly = ctx.from_dict({tuple(rng.randint(0, 2) for _ in ctx.names()): flint.fmpq(rng.randint(-5, 5), rng.randint(1, 3))
                              for _ in range(rng.randint(1, 3))}) + rng.randint(-3, 3)
        if poly.is_constant():
            poly += ctx.gens()[0]
        return Atom(poly, rng.choice(["=", "!=", "<", "<=", ">", ">="]))
    kind = rng.choice([And, Or])
    return kind(tuple(random_formula(rng, ctx, depth - 1) for _ in range(rng.randint(1, 3))))


@pytest.mark.parametrize("seed", range(20))
def test_to_smt2_parses_back_to_an_equivalent_system(seed: int) -> None:
    rng = random.Random(seed)
    names = ("x", "y z", "w_1")[: rng.randint(1, 3)]
    ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
    system = System(ctx, random_formula(rng, ctx))
    [parsed] = parse_script(to_smt2(system, "a comment"))
    assert [name for name, _, _ in parsed.shown] == list(names)
    variable = {name: v for name, v, _ in parsed.shown}
    for _ in range(30):
        point = {name: Fraction(rng.randint(-4, 4), rng.randint(1, 2)) for name in names}
        full = {v: Fraction(0) for v in parsed.system.names} | {variable[n]: point[n] for n in names}
        assert system.holds(point) == parsed.system.holds(full)


@pytest.mark.parametrize("seed", range(20))
def test_z3_reads_a_system_as_the_system(seed: int) -> None:
    """z3_backend.to_z3 (the SMT-LIB text parsed by Z3): at random rational points Z3's own evaluation of
    the formula is the exact truth value (quoted names, negative and fractional coefficients, ≠, nesting)."""
    from etr_nn.backends.z3_backend import to_z3
    rng = random.Random(seed)
    names = ("x", "y z", "w.1")[: rng.randint(1, 3)]
    ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
    system = System(ctx, random_formula(rng, ctx))
    formula, variables = to_z3(system)
    assert sorted(variables) == sorted(names)
    for _ in range(30):
        point = {name: Fraction(rng.randint(-4, 4), rng.randint(1, 2)) for name in names}
        value = z3.simplify(z3.substitute(formula, *[(variables[n], z3.RealVal(str(v))) for n, v in point.items()]))
        assert z3.is_true(value) == system.holds(point) and z3.is_false(value) != system.holds(point)


def test_the_parsed_atoms_are_the_exported_ones() -> None:
    ctx = flint.fmpq_mpoly_ctx.get(("a", "b"), "lex")
    a, b = ctx.gens()
    system = System(ctx, And((Atom(a * b - flint.fmpq(1, 3), "="), Atom(a - 2 * b, "<"), Atom(a * a + 1, "!="))))
    [parsed] = parse_script(to_smt2(system))
    assert parsed.system == system


# --- known answers -------------------------------------------------------------------------

def test_x_squared_is_two_has_an_algebraic_model_checked_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "(declare-fun x () Real)\n(assert (= (* x x) 2))\n(assert (> x 0))\n(check-sat)\n(get-model)\n"
    code, out, _ = run(tmp_path, text, capsys=capsys)
    assert code == 0
    assert out.splitlines() == ["sat", "model (checked exactly):", "  x = root of t^2 - 2 in [1, 2] ≈ 1.41421356"]
    [c] = check.load(str(tmp_path / "f.smt2"))
    for backend in ("cad", "z3", "cad+z3"):
        result = check.decide(c, backend, 10)
        assert result.status == "sat" and result.model["x"] == RealAlgebraic([-2, 0, 1], 1, 2)


def test_unsat_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(tmp_path, "(declare-fun x () Real)(assert (< (* x x) 0))(check-sat)", "--json", capsys=capsys)
    assert code == 0
    import json
    doc = json.loads(out)
    assert doc["format"] == check.FORMAT and [a["status"] for a in doc["answers"]] == ["unsat"]


PUSH_POP = """(set-logic QF_NRA)
(set-info :status sat)
(set-option :produce-models true)
(declare-const x Real)
(declare-fun p () Bool)
(define-fun half () Real (/ 1 2))
(assert (>= x half))
(check-sat)
(push 1)
  (declare-fun y () Real)
  (assert (and (= (* x y) 1) (< y (- 1))))
  (check-sat)
(pop 1)
(push)
  (assert (let ((s (* x x)) (q (not p))) (and (= s 3) (xor p q) (=> p (< x 0)))))
  (check-sat)
  (get-model)
(pop)
(assert (distinct x 1 2))
(assert (= (ite p x (- x)) (/ 3 2)))
(check-sat)
(get-model)
(exit)
(assert false)
(check-sat)
"""


def test_push_pop_sequence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(tmp_path, PUSH_POP, capsys=capsys)
    assert code == 0
    assert out.splitlines() == ["sat", "unsat", "sat", "model (checked exactly):",
                                "  x = root of t^2 - 3 in [1, 2] ≈ 1.73205081", "  p = false",
                                "sat", "model (checked exactly):", "  x = 3/2", "  p = true"]


def test_model_option_and_etr_inv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(tmp_path, "(declare-fun x () Real)(assert (= (* 2 x) 1))(check-sat)", "--model", capsys=capsys)
    assert (code, out) == (0, "sat\nmodel (checked exactly):\n  x = 1/2\n")
    assert main(["check", str(ROOT / "encodings" / "sqrt2.etr"), "--backend", "cad"]) == 0
    assert capsys.readouterr().out == "sat\n"


def test_a_model_that_fails_the_exact_check_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from etr_nn.backends import Answer
    from etr_nn.backends.z3_backend import Z3Backend

    monkeypatch.setattr(Z3Backend, "check", lambda self, system, timeout=None: Answer("sat", {"x": Fraction(1)}, "z3"))
    [c] = parse_script("(declare-fun x () Real)(assert (= (* x x) 2))(check-sat)")
    result = check.decide(c, "z3")
    assert result.status == "unknown" and "failed the exact check" in result.reason and not result.model


# --- agreement with Z3 ---------------------------------------------------------------------

def z3_answer(text: str) -> str:
    """Z3's answer, in a context of its own: parse_smt2_string keeps a script's define-funs in
    its context, and every later model of that context would print them."""
    ctx = z3.Context()
    solver = z3.SolverFor("QF_NRA", ctx=ctx)
    solver.set("timeout", 10_000)
    solver.add(z3.parse_smt2_string(text, ctx=ctx))
    return str(solver.check())


@pytest.mark.parametrize("seed", range(36))
def test_agrees_with_z3_on_random_formulas(seed: int) -> None:
    rng = random.Random(seed)
    text = random_script(rng)
    [c] = parse_script(text)
    expected = z3_answer(text)
    assert expected in ("sat", "unsat")
    for backend in ("cad", "cad+z3"):
        result = check.decide(c, backend, 3)  # a "sat" result's model is checked exactly in check.decide
        assert result.status in (expected, "unknown"), (backend, text)
    assert check.decide(c, "cad+z3", 10).status == expected


# --- division, check-sat-assuming, reset -------------------------------------------------------

DECLARE = "(declare-fun x () Real)(declare-fun y () Real)(declare-fun n () Real)"
# (assertions, answer): known by SMT-LIB's semantics of `/` (total; (/ s 0) a function of s)
DIVISIONS = [
    ("(assert (= (/ x 2) 3))(assert (distinct x 6))", "unsat"),
    ("(assert (= n 0))(assert (= x y))(assert (distinct (/ x n) (/ y n)))", "unsat"),
    ("(assert (= n 0))(assert (distinct (/ x n) (/ y n)))", "sat"),
    ("(assert (= (/ x 0) 1))(assert (= (/ x 0) 2))", "unsat"),
    ("(assert (= (/ x 0) 1))(assert (= (/ y 0) 2))", "sat"),
    ("(assert (= x y))(assert (= (/ x 0) 1))(assert (= (/ (* 2 y) (- n n)) 2))", "sat"),
    ("(assert (= x y))(assert (= (/ (+ x 1) 0) 1))(assert (= (/ (+ y 1) (* n 0)) 2))", "unsat"),
    ("(assert (distinct x 0))(assert (distinct (* x (/ 1 x)) 1))", "unsat"),
    ("(assert (= (* x (/ 1 x)) 0))", "sat"),
    ("(assert (= (/ 1 x) 2))(assert (distinct x (/ 1 2)))", "sat"),  # x = 0
    ("(assert (= (/ 1 x) 2))(assert (distinct x (/ 1 2) 0))", "unsat"),
    ("(assert (= (/ (/ 1 x) y) 1))(assert (> x 0))(assert (< y 0))", "unsat"),
    ("(assert (= (/ x y n) 1))(assert (= x (* y n)))(assert (> (* y n) 0))", "sat"),
    ("(push)(assert (= (/ x 0) 1))(pop)(assert (= (/ x 0) 2))", "sat"),
    ("(assert (= (/ x 0) 1))(push)(assert (= (/ x 0) 2))", "unsat"),
    ("(define-fun q () Real (/ x n))(assert (= n 0))(assert (= q 1))(assert (= (/ x n) 2))", "unsat"),
]


@pytest.mark.parametrize("text, answer", DIVISIONS)
def test_division_follows_smtlib_semantics(text: str, answer: str) -> None:
    checks = parse_script(DECLARE + text + "(check-sat)")
    assert check.decide(checks[-1], "cad", 10).status == answer, text
    assert z3_answer(DECLARE + text) == answer


@pytest.mark.parametrize("seed", range(30))
def test_agrees_with_z3_on_random_formulas_with_division(seed: int) -> None:
    """Quotients of random polynomials, the divisor zero at some points: a "sat" model is checked
    exactly (quotients included); the CAD's definite answers are Z3's."""
    text = random_script(random.Random(seed), division=True)
    [c] = parse_script(text)
    expected = z3_answer(text)
    assert check.decide(c, "cad", 5).status in (expected, "unknown"), text


def test_check_sat_assuming_reset_and_get_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("(declare-fun x () Real)(declare-fun p () Bool)(assert (> x 1))(check-sat-assuming ((< (/ 1 x) 0) p))"
            "(check-sat-assuming (p (< x (/ 3 2))))(check-sat)(reset)(declare-fun x () Real)(assert (= (* x x) 4))"
            "(assert (< x 0))(check-sat)(get-value (x))(reset-assertions)(assert (< x 0))(check-sat)")
    code, out, _ = run(tmp_path, text, "--backend", "cad", capsys=capsys)
    assert code == 0
    assert out.splitlines() == ["unsat", "sat", "sat", "sat", "model (checked exactly):", "  x = -2", "sat"]
    named = ("(declare-fun x () Real)(assert (! (> (* x x) 4) :named big))(push)(assert (! (< x 1) :named small))"
             "(check-sat-assuming (big small))(pop)(check-sat-assuming ((not big)))(assert (> x 0))(check-sat-assuming (big))")
    code, out, _ = run(tmp_path, named, "--backend", "cad", capsys=capsys)
    assert (code, out.split()) == (0, ["sat", "unsat", "sat"])
    assert run(tmp_path, named.replace("(pop)", ""), capsys=capsys)[1].split() == ["sat", "unsat", "unsat"]


def test_sexpr_text_reads_back() -> None:
    from etr_nn.poly.sexpr import read

    text = '(set-info :source "a ""quoted"" string") (declare-fun |x y| () Real)'
    assert [str(e) for e in read(" ".join(str(e) for e in read(text)))] == [str(e) for e in read(text)]
    assert str(read(text)[0]) == text.split(" (")[0]


def test_nra_logic_and_a_trailing_dot_decimal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(tmp_path, "(set-logic NRA)(declare-fun x () Real)(assert (= (* x 2.) 1.))(check-sat)", "--model",
                       capsys=capsys)
    assert (code, out) == (0, "sat\nmodel (checked exactly):\n  x = 1/2\n")


# --- bad input -----------------------------------------------------------------------------

BAD = [
    ("(declare-fun x () Real)\n(assert (forall ((y Real)) (> y x)))\n", 2, "quantifier forall"),
    ("(declare-fun n () Int)\n", 1, "sort Int"),
    ("(declare-fun x () Real)\n(assert (> (abs x) 1))\n", 2, "abs (abs)"),
    ("(declare-fun x () Real)\n\n(assert (> (sin x) 0))\n", 3, "sin (a transcendental function)"),
    ("(declare-fun f (Real) Real)\n", 1, "uninterpreted function"),
    ("(set-logic QF_NIA)\n", 1, "logic QF_NIA"),
    ("(declare-fun x () Real)\n(assert (> x 0)\n(check-sat)\n", 2, "'(' never closed"),
    ("(assert (> y 0))\n", 1, "unknown symbol y"),
    ("(declare-fun x () Real)\n(assert (+ x 1))\n", 2, "expected a Bool term"),
    ("(declare-fun a () (Array Real Real))\n", 1, "the sort (Array Real Real)"),
    ("(pop 1)\n", 1, "pop 1 with only 0"),
    ("(check-sat-assuming p)\n", 1, "check-sat-assuming takes a list"),
    ('(echo "unterminated)\n', 1, "unterminated string"),
    ("(declare-fun x () Real)\n(assert (> x #b101))\n", 2, "bit vectors"),
]


@pytest.mark.parametrize("text, line, words", BAD)
def test_bad_input_is_one_line_with_its_line_number(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                                     line: int, words: str) -> None:
    code, out, err = run(tmp_path, text, capsys=capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and f"line {line}: " in err and words in err, err


def test_bad_input_before_any_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The whole script is read first: an error after a check-sat prints no answer."""
    code, out, err = run(tmp_path, "(declare-fun x () Real)(check-sat)\n(assert (exists ((y Real)) (> y x)))", capsys=capsys)
    assert (code, out) == (2, "") and "line 2" in err


def test_sizes_are_bounded() -> None:
    deep = "(assert " + "(not " * 1000 + "true" + ")" * 1001
    with pytest.raises(InputError, match="nested more than"):
        parse_script(deep)
    text = "(declare-fun x () Real)" + "(define-fun a0 () Real (+ x 1))" + "".join(
        f"(define-fun a{i + 1} () Real (* a{i} a{i}))" for i in range(12))
    with pytest.raises(InputError, match="degree more than"):
        parse_script(text)
    with pytest.raises(InputError, match="more than 4000 digits"):
        parse_script("(declare-fun x () Real)(assert (> x " + "9" * 5000 + "))")


# --- time limits ---------------------------------------------------------------------------

def timed_check(tmp_path: Path, n: int, timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
    path = tmp_path / f"hong{n}.smt2"
    path.write_text(closed_hong(n))
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "etr_nn", "check", str(path), "--timeout", str(timeout), "--backend", "cad"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    return done, time.monotonic() - start


def start_up() -> float:
    """Wall seconds of the command's start-up alone (the interpreter and the imports) on this machine now."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "etr_nn", "check", "--help"], capture_output=True, cwd=ROOT, timeout=120)
    return time.monotonic() - start


def test_closed_hong_6_cad_keeps_a_short_time_limit(tmp_path: Path) -> None:
    """Unknown within the limit + 1 s of the work, start-up aside (measured alongside: it varies with load)."""
    done, seconds = timed_check(tmp_path, 6, 1)
    assert (done.returncode, done.stdout) == (1, "unknown\n") and seconds < 2 + start_up(), (done, seconds)


@pytest.mark.slow
def test_closed_hong_6_cad_answers_unknown_within_the_limit_plus_one_second(tmp_path: Path) -> None:
    done, seconds = timed_check(tmp_path, 6, 5)
    assert (done.returncode, done.stdout) == (1, "unknown\n") and seconds < 6 + start_up(), (done, seconds)


def test_cad_decide_keeps_its_deadline_in_process() -> None:
    from etr_nn.cad import decide

    [c] = parse_script(closed_hong(6))
    start = time.monotonic()
    assert decide(c.system, 1.5).status == "unknown"
    assert time.monotonic() - start < 2.5


@pytest.mark.parametrize("text", [hong(2), hong(6), closed_hong(4)])
def test_hong_is_decided(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    code, out, _ = run(tmp_path, text, "--backend", "cad", capsys=capsys)
    assert (code, out) == (0, "unsat\n")


def test_a_stopped_script_answers_unknown_for_the_check_sats_left(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What the supervising parent prints when the time limit ends the work after one answer."""
    import argparse

    path = tmp_path / "f.smt2"
    path.write_text("(declare-fun x () Real)(check-sat)(assert (> x 1))(check-sat)(check-sat)(exit)(check-sat)")
    args = argparse.Namespace(file=str(path), json=False, timeout=1.0, backend="cad")
    for total in (3, -1):  # -1: stopped while parsing, the parent counts the check-sats before (exit)
        check._progress(0, 1)
        check._progress(1, total)
        assert check.check_stopped(args) == 1
        assert capsys.readouterr().out == "unknown\nunknown\n"


def test_a_long_parse_keeps_the_time_limit(tmp_path: Path) -> None:
    """A script whose parsing alone outlasts the limit (a sum of 200 000 terms, as in SMT-LIB's
    Sturm-MBO family): unknown for each check-sat within the limit + 1 s, start-up aside; the
    parent does not parse it again."""
    path = tmp_path / "long.smt2"
    path.write_text(long_sum())
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "etr_nn", "check", str(path), "--timeout", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    seconds = time.monotonic() - start
    assert (done.returncode, done.stdout) == (1, "unknown\nunknown\n") and seconds < 2 + start_up(), (done, seconds)
