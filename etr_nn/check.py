"""`etr-nn check FILE`: decide an SMT-LIB script (QF_NRA) or an ETR-INV formula, like an SMT solver.

One answer line per check-sat (`sat`, `unsat`, `unknown`); with --model, or a get-model after
the check-sat, the model follows as exact values (rationals, or real algebraic numbers as an
irreducible integer polynomial and an isolating interval). A "sat" is printed only after the
backend's point has been checked against the parsed formula in exact arithmetic
(`System.holds`: rationals, and algebraic arithmetic for irrational coordinates); a point that
fails, or that cannot be checked, gives "unknown". `--timeout` bounds the whole script: each
check-sat gets the time then left, and etr_nn.supervise ends the work at the limit + 0.5 s,
answering unknown for every check-sat not yet answered.

Exit codes: 0 every check-sat answered sat or unsat, 1 some unknown, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import json
import mmap
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from etr_nn import supervise
from etr_nn.backends import REGISTRY, Answer
from etr_nn.deadline import Deadline
from etr_nn.exact import Number, to_json
from etr_nn.files import read_text
from etr_nn.poly import And, Atom, System
from etr_nn.poly.script import Check, count_checks, parse_script

DEFAULT_BACKEND = "cad+z3"
FORMAT = "etr-nn/check/1"
# How many answers the command has printed and how many check-sats the script has (−1 until it is
# parsed), shared with the supervising parent (fork keeps the mapping): when the time limit ends
# the work, the parent answers "unknown" for the rest without parsing the script again.
_PROGRESS = mmap.mmap(-1, 16)


@dataclass
class Result:
    """The verdict on one check-sat; `model` (declared name → exact value, or a truth value for
    a Bool) only with "sat", and only after the exact check."""

    status: str
    line: int
    seconds: float
    reason: str = ""
    model: dict[str, Number | bool] = field(default_factory=dict)


def etr_system(path: str) -> list[Check]:
    """An ETR-INV formula file (etr_nn.gadgets.etrinv) as one check-sat: its equations and
    1/2 ≤ x ≤ 2 for every variable."""
    import flint

    from etr_nn.gadgets import etrinv

    formula = etrinv.load(path)
    names = formula.variables
    ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
    x = dict(zip(names, ctx.gens()))
    parts = [Atom(c.residual(x), "=") for c in formula.constraints]
    parts += [Atom(v - flint.fmpq(etrinv.LOW.numerator, etrinv.LOW.denominator), ">=") for v in x.values()]
    parts += [Atom(v - int(etrinv.HIGH), "<=") for v in x.values()]
    return [Check(System(ctx, And(tuple(parts))), tuple((n, n, "Real") for n in names), 1, False)]


def load(path: str) -> list[Check]:
    """The check-sats of FILE: an ETR-INV formula for a `.etr` file, else an SMT-LIB script."""
    if Path(path).suffix == ".etr":
        return etr_system(path)
    return parse_script(read_text(path, "SMT-LIB file"), path)


def decide(check: Check, backend: str = DEFAULT_BACKEND, timeout: float | None = None,
           isolate: bool | None = True) -> Result:
    """The backend's answer, a "sat" point re-checked exactly against the check's System. `isolate`:
    the CAD in a child killed at its deadline (one system per check-sat); None: the backend's
    default, as the pattern search calls it on its leaves."""
    from etr_nn import backends

    start = time.monotonic()
    engine = backends.get(backend)
    if hasattr(engine, "isolate"):
        engine.isolate = isolate
    answer: Answer = engine.check(check.system, timeout)
    seconds = time.monotonic() - start
    if answer.status != "sat":
        return Result(answer.status, check.line, seconds, answer.reason)
    try:
        holds = check.system.holds(answer.point)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as error:
        return Result("unknown", check.line, seconds, f"{answer.reason}; the model could not be checked ({error})")
    if not holds:
        return Result("unknown", check.line, seconds, f"{answer.reason}; the model failed the exact check")
    model: dict[str, Number | bool] = {}
    for name, variable, sort in check.shown:
        value = answer.point[variable]
        model[name] = value > 0 if sort == "Bool" else value
    return Result("sat", check.line, seconds, f"{answer.reason}; model verified exactly", model)


def model_lines(model: dict[str, Number | bool]) -> list[str]:
    """`name = value` lines (algebraic numbers as `root of p in [lo, hi] ≈ x`)."""
    return [f"  {name} = {str(value).lower() if isinstance(value, bool) else value}" for name, value in model.items()]


def to_document(path: str, results: list[Result | None], backend: str) -> dict[str, object]:
    answers: list[dict[str, object]] = []
    for r in results:
        if r is None:
            answers.append({"status": "unknown", "reason": "time limit reached: the work was stopped"})
            continue
        doc: dict[str, object] = {"status": r.status, "line": r.line, "seconds": round(r.seconds, 4), "reason": r.reason}
        if r.status == "sat":
            doc["verified"] = True
            doc["model"] = {n: v if isinstance(v, bool) else to_json(v) for n, v in r.model.items()}
        answers.append(doc)
    return {"format": FORMAT, "file": path, "backend": backend, "answers": answers}


def _progress(slot: int, value: int | None = None) -> int:
    """Slot 0: answers printed; slot 1: check-sats in the script."""
    if value is not None:
        _PROGRESS[8 * slot:8 * slot + 8] = struct.pack("q", value)
    return int(struct.unpack("q", _PROGRESS[8 * slot:8 * slot + 8])[0])


def cmd_check(args: argparse.Namespace) -> int:
    _progress(0, 0)
    _progress(1, -1)
    checks = load(args.file)
    _progress(1, len(checks))
    deadline = Deadline.after(args.timeout)
    results: list[Result | None] = []
    for check in checks:
        left = deadline.left()
        result = decide(check, args.backend, None if left is None else max(left, 0.01))
        results.append(result)
        if not args.json:
            print(result.status, flush=not (args.model or check.model))
            if result.status == "sat" and (args.model or check.model):
                print("\n".join(["model (checked exactly):", *model_lines(result.model)]), flush=True)
            elif args.model or check.model:
                print(f"; no model: {result.reason}", flush=True)
        _progress(0, len(results))
    if args.json:
        print(json.dumps(to_document(args.file, results, args.backend), indent=1))
    return 0 if all(r is not None and r.status != "unknown" for r in results) else 1


def check_stopped(args: argparse.Namespace) -> int:
    """The answer when the time limit ended the work: unknown for every check-sat not answered."""
    total = _progress(1)
    if total < 0:  # stopped while parsing
        total = 1 if Path(args.file).suffix == ".etr" else count_checks(read_text(args.file, "SMT-LIB file"))
    done = 0 if args.json else min(_progress(0), total)
    if args.json:
        print(json.dumps(to_document(args.file, [None] * total, args.backend), indent=1))
    else:
        for _ in range(total - done):
            print("unknown")
    return 1


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("check", help="decide an SMT-LIB (QF_NRA) script or an ETR-INV formula (.etr), "
                            "with exactly verified models")
    p.add_argument("file")
    p.add_argument("--backend", default=DEFAULT_BACKEND, choices=sorted(REGISTRY),
                   help=f"decision procedure (default {DEFAULT_BACKEND}: the own CAD briefly, then Z3's nlsat)")
    p.add_argument("--timeout", type=supervise.seconds, help="seconds for the whole script; past it the answers are unknown")
    p.add_argument("--model", action="store_true", help="print the model of every sat answer")
    p.add_argument("--json", action="store_true", help="print the answers as one JSON document")
    p.set_defaults(run=cmd_check, stopped=check_stopped)
