"""ETR-INV formulas: conjunctions of x = 1, x + y = z, x·y = 1 over variables in [1/2, 2].

Text format: one constraint a line (`x = 1`, `x + y = z`, `x * y = 1`), variables are
names ([A-Za-z_][A-Za-z0-9_]*), `#` starts a comment, blank lines are ignored. Every
variable ranges over [1/2, 2]. ETR-INV is ∃R-complete (Abrahamsen, Adamaszek, Miltzow,
arXiv 1704.06969).

`decide` answers small formulas exactly: Z3's nlsat on the polynomial system, its model
read exactly (etr_nn.exact.from_z3) and re-checked in exact arithmetic (`holds`).
`rational_solutions` lists every rational solution of a formula whose equations have
finitely many complex solutions (a lex Gröbner basis per variable gives its eliminant).

An instance written by `etr-nn reduce` carries its formula in the extra field "etr_inv" (a
list of constraint lines), which other readers of the instance format ignore: `attached`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, Mapping

from etr_nn.errors import InputError
from etr_nn.exact import Number, from_z3
from etr_nn.files import load_json, read_text
from etr_nn.instance import FORMULA_FIELD

LOW, HIGH = Fraction(1, 2), Fraction(2)
FIELD = FORMULA_FIELD
Kind = Literal["one", "add", "inv"]
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_FORMS: list[tuple[Kind, re.Pattern[str]]] = [
    ("one", re.compile(rf"^({_NAME})\s*=\s*1$")),
    ("add", re.compile(rf"^({_NAME})\s*\+\s*({_NAME})\s*=\s*({_NAME})$")),
    ("inv", re.compile(rf"^({_NAME})\s*\*\s*({_NAME})\s*=\s*1$")),
]


@dataclass(frozen=True)
class Constraint:
    """x = 1 ("one", (x,)), x + y = z ("add", (x, y, z)) or x·y = 1 ("inv", (x, y))."""

    kind: Kind
    names: tuple[str, ...]
    line: int = 0

    def residual(self, value: Mapping[str, Any]) -> Any:
        """x − 1, x + y − z or x·y − 1 at `value` (numbers, or Z3/SymPy terms): zero iff it holds."""
        v = [value[n] for n in self.names]
        if self.kind == "one":
            return v[0] - 1
        if self.kind == "add":
            return v[0] + v[1] - v[2]
        return v[0] * v[1] - 1

    def holds(self, value: Mapping[str, Number]) -> bool:
        return self.residual(value) == 0

    def __str__(self) -> str:
        n = self.names
        if self.kind == "one":
            return f"{n[0]} = 1"
        return f"{n[0]} + {n[1]} = {n[2]}" if self.kind == "add" else f"{n[0]} * {n[1]} = 1"


@dataclass(frozen=True)
class Formula:
    constraints: tuple[Constraint, ...]
    source: str = "<formula>"

    @property
    def variables(self) -> tuple[str, ...]:
        """Variables in order of first appearance."""
        return tuple(dict.fromkeys(n for c in self.constraints for n in c.names))

    def holds(self, value: Mapping[str, Number]) -> bool:
        """Exact: every constraint holds and every variable lies in [1/2, 2]."""
        return all(LOW <= value[v] <= HIGH for v in self.variables) and all(c.holds(value) for c in self.constraints)

    def __str__(self) -> str:
        return "\n".join(str(c) for c in self.constraints)


def parses(text: str, source: str = "<formula>") -> Formula:
    """Parse the text format; InputError names the source and line at fault."""
    constraints = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        for kind, pattern in _FORMS:
            match = pattern.match(line)
            if match:
                constraints.append(Constraint(kind, match.groups(), number))
                break
        else:
            shown = line if len(line) <= 60 else line[:57] + "..."
            raise InputError(f"{source}: line {number}: cannot parse {shown!r}; expected `x = 1`, "
                             "`x + y = z` or `x * y = 1`")
    if not constraints:
        raise InputError(f"{source}: no constraints")
    return Formula(tuple(constraints), source)


def load(path: str | Path) -> Formula:
    """Read a formula file (at most etr_nn.limits.MAX_INPUT_BYTES); InputError naming it."""
    return parses(read_text(path, "formula file"), str(path))


def decide(formula: Formula, timeout: float | None = None) -> tuple[str, dict[str, Number] | None]:
    """("sat", exact values re-checked), ("unsat", None) or ("unknown", None)."""
    from etr_nn.z3lib import z3

    x = {n: z3.Real(n) for n in formula.variables}
    solver = z3.SolverFor("QF_NRA")
    if timeout is not None:
        solver.set("timeout", max(1, int(timeout * 1000)))
    for v in x.values():
        solver.add(v >= z3.Q(1, 2), v <= 2)
    for c in formula.constraints:
        solver.add(c.residual(x) == 0)
    result = solver.check()
    if result == z3.unsat:
        return "unsat", None
    if result != z3.sat:
        return "unknown", None
    model = solver.model()
    value = {n: from_z3(model.eval(v, model_completion=True)) for n, v in x.items()}
    if not formula.holds(value):
        return "unknown", None
    return "sat", value


def attached(path: str | Path) -> Formula | None:
    """The formula an instance file written by `etr-nn reduce` carries (None: none)."""
    try:
        doc = load_json(path, "instance file")
    except InputError:
        return None
    lines = doc.get(FIELD) if isinstance(doc, dict) else None
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        return None
    return parses("\n".join(lines), f"{path}: {FIELD}")


def rational_solutions(formula: Formula) -> list[dict[str, Fraction]] | None:
    """Every rational solution (variables in [1/2, 2]), or None when the equations have
    infinitely many complex solutions. Zero-dimensional ideal I: for each variable x the
    last element of I's lex Gröbner basis with x last generates I ∩ Q[x]; a rational
    solution takes a rational root of it in every coordinate, and each such combination
    is checked exactly."""
    import sympy

    names = formula.variables
    symbols = sympy.symbols(names)
    x = dict(zip(names, symbols))
    equations = [c.residual(x) for c in formula.constraints]
    candidates: list[list[Fraction]] = []
    for i, name in enumerate(names):
        basis = sympy.groebner(equations, *symbols[:i], *symbols[i + 1:], x[name], order="lex")
        if not basis.is_zero_dimensional:
            return None
        eliminant = sympy.Poly(basis.exprs[-1], x[name])
        roots = [Fraction(int(r.p), int(r.q)) for r in sympy.roots(eliminant, filter="Q") if r.is_rational]
        candidates.append([r for r in roots if LOW <= r <= HIGH])
    found = []
    for values in itertools.product(*candidates):
        value = dict(zip(names, values))
        if formula.holds(value):
            found.append(value)
    return found

