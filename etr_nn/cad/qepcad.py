"""QEPCAD B as an independent reference (for tests and benchmarks): decide a System by
quantifier elimination of ∃x_1…∃x_n.  Needs `pip install --no-deps passagemath-qepcad`."""

from __future__ import annotations

import subprocess
import sysconfig
from math import lcm
from pathlib import Path

from etr_nn.poly import And, Atom, Formula, System

_REL = {"=": "=", "!=": "/=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _home() -> Path:
    return Path(sysconfig.get_paths()["purelib"]) / "sage_wheels"


def available() -> bool:
    return (_home() / "bin" / "qepcad").exists()


def _poly(atom: Atom, symbols: list[str]) -> str:
    scale = lcm(*(int(c.q) for _, c in atom.poly.terms()))
    terms = []
    for exps, c in atom.poly.terms():
        factors = [f"{s}^{e}" if e > 1 else s for s, e in zip(symbols, exps) if e]
        terms.append(" ".join([f"{int(c * scale)}"] + factors))
    return " + ".join(terms).replace("+ -", "- ") or "0"


def _formula(f: Formula, symbols: list[str]) -> str:
    if isinstance(f, Atom):
        return f"{_poly(f, symbols)} {_REL[f.rel]} 0"
    op = " /\\ " if isinstance(f, And) else " \\/ "
    if not f.args:
        return "0 = 0" if isinstance(f, And) else "1 = 0"
    return "[" + op.join(_formula(a, symbols) for a in f.args) + "]"


def script(system: System) -> str:
    """QEPCAD B input for ∃x_1…∃x_n system (variables renamed x1, x2, …)."""
    symbols = [f"x{i + 1}" for i in range(len(system.names))]
    prefix = "".join(f"(E {s})" for s in symbols)
    return (f"[etr_nn]\n({','.join(symbols)})\n0\n{prefix}[{_formula(system.formula, symbols)}].\n"
            "finish\n")


def command() -> tuple[list[str], dict[str, str]]:
    """The QEPCAD B command line (it reads its input from standard input) and the environment it needs."""
    home = _home()
    return [str(home / "bin" / "qepcad"), "+N20000000"], {"qe": str(home)}


def answer(out: str) -> str:
    """"sat", "unsat" or "unknown" from QEPCAD B's output for ∃x_1…∃x_n (`script`)."""
    tail = out.split("An equivalent quantifier-free formula:")[-1].split("=====")[0].strip()
    return {"TRUE": "sat", "FALSE": "unsat"}.get(tail, "unknown")


def decide(system: System, timeout: float = 60) -> str:
    """"sat", "unsat" or "unknown" (time limit, resource limit, unreadable output)."""
    argv, env = command()
    try:
        out = subprocess.run(argv, input=script(system), text=True, capture_output=True, timeout=timeout,
                             env=env).stdout
    except subprocess.TimeoutExpired:
        return "unknown"
    return answer(out)
