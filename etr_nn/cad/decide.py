"""The CAD applied to `etr_nn.poly.System`s: decision (with exact sample points), the
cells of the solution set, and the set of values a polynomial takes on it.

Truth of the formula is evaluated on cells in three-valued logic: an atom is decided on a
cell of R^k as soon as its polynomial involves only x_1..x_k (exact sign at the sample),
so a cylinder is pruned when the formula is already false on it and accepted whole when
it is already true (partial CAD).  Atom signs are constant on cells because every atom
polynomial's irreducible factors are projection factors.  `decide` first splits the
formula into conjunctive branches with linear equations eliminated and branches refuted by
the signs of monomials dropped (`etr_nn.cad.eliminate`), and runs one CAD per surviving
branch; the eliminated variables are recovered exactly.
A branch of strict atoms only (an open set) is searched on full-dimensional cells alone,
whose samples are rational (`is_open`). A branch whose top-level conjunction holds an
equation f = 0 with every irreducible factor of f in the last variable is searched first with
the reduced (equational) projection of `etr_nn.cad.core`, and again with the full one if a
resultant of it vanishes over a cell on the way (`Unreduced`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from fractions import Fraction

import flint

from etr_nn.deadline import Deadline
from etr_nn.backends.base import Answer
from etr_nn.cad.core import CAD, Unreduced, brown_order, reorder
from etr_nn.cad.eliminate import Branch, branches
from etr_nn.cad.projection import Poly, Timeout, irreducible_factors, level
from etr_nn.exact import Number, RealAlgebraic, to_json
from etr_nn.poly import HOLDS, And, Atom, Formula, Or, System

ISOLATE_SECONDS = 1.0  # decide() with at least this timeout runs in a child killed at its deadline
CHILD_GRACE = 0.1  # seconds past the deadline for the child's own "unknown" before it is killed


def atoms(formula: Formula) -> list[Atom]:
    if isinstance(formula, Atom):
        return [formula]
    return [a for f in formula.args for a in atoms(f)]


def three_valued(formula: Formula, truth: Callable[[Atom], bool | None]) -> bool | None:
    """Kleene evaluation: None where atoms are still undecided."""
    if isinstance(formula, Atom):
        return truth(formula)
    decisive = isinstance(formula, Or)  # the value that decides a disjunction (True) or a conjunction (False)
    undecided = False
    for f in formula.args:  # stops at the first deciding child: later atoms are not evaluated
        value = three_valued(f, truth)
        if value is decisive:
            return decisive
        undecided = undecided or value is None
    return None if undecided else not decisive


def is_open(formula: Formula) -> bool:
    """Whether every atom is strict (<, >, !=): then the formula defines an open set, which,
    if not empty, meets a full-dimensional cell of any sign-invariant CAD of its atoms (the
    cells of lower dimension have no interior), so the search may skip sections."""
    return all(a.rel in ("<", ">", "!=") for a in atoms(formula))


class _Setup:
    """A formula's atoms in the CAD's context and order, with the verdict on cells."""

    def __init__(self, formula: Formula, names: tuple[str, ...], deadline: Deadline,
                 order: list[str] | None = None, extra: Sequence[Poly] = (), reduce: bool = False):
        self.formula = formula
        self.atoms = atoms(formula)
        polys = [a.poly for a in self.atoms] + list(extra)
        self.order = order if order is not None else brown_order(polys, names)
        self.ctx, converted = reorder(polys, self.order)
        self.polys = {id(a): p for a, p in zip(self.atoms, converted)}
        self.levels = {id(a): level(p) for a, p in zip(self.atoms, converted)}
        self.equation = self.constraint() if reduce else None
        self.cad = CAD(converted, self.ctx, deadline, self.equation)
        self._memo: dict[tuple[int, tuple[Number, ...]], bool] = {}

    def constraint(self) -> Poly | None:
        """The polynomial of a top-level equation whose irreducible factors all involve the last
        variable, of least degree in it (then fewest terms); None if there is none."""
        n = self.ctx.nvars()
        conjuncts = self.formula.args if isinstance(self.formula, And) else (self.formula,)
        candidates = [self.polys[id(a)] for a in conjuncts if isinstance(a, Atom) and a.rel == "="
                      and all(level(g) == n for g in irreducible_factors(self.polys[id(a)]))]
        return min(candidates, key=lambda p: (p.degrees()[n - 1], len(p)), default=None)

    def verdict(self, sample: tuple[Number, ...]) -> bool | None:
        def truth(atom: Atom) -> bool | None:
            lv = self.levels[id(atom)]
            if lv > len(sample):
                return None
            k = (id(atom), sample[:lv])
            if k not in self._memo:
                self._memo[k] = HOLDS[atom.rel](self.cad.sign(self.polys[id(atom)], sample[:lv]))
            return self._memo[k]
        return three_valued(self.formula, truth)


def _search(branch: Branch, names: tuple[str, ...], deadline: Deadline) -> list[Number] | None:
    """A point (system order) satisfying the branch, or None if it has none."""
    point: list[Number] = [Fraction(0)] * len(names)
    if branch.formula is True:
        return branch.complete(point)
    setup = _Setup(branch.formula, names, deadline, reduce=True)
    try:
        found = next(setup.cad.search(setup.verdict, sectors=is_open(branch.formula)), None)
    except Unreduced:
        setup = _Setup(branch.formula, names, deadline)
        found = next(setup.cad.search(setup.verdict, sectors=is_open(branch.formula)), None)
    if found is None:
        return None
    for name, value in zip(setup.order, found.sample):
        point[names.index(name)] = value
    return branch.complete(point)


def decide(system: System, timeout: float | None = None, isolate: bool | None = None) -> Answer:
    """sat with an exact point (checked with System.holds), unsat, or unknown (timeout).

    The CAD checks its deadline between projection steps, cells, sign refinements and terms of
    exact evaluations; one step of algebraic arithmetic (a resultant, a root isolation) can still
    take seconds. With `isolate` (default: a timeout of at least ISOLATE_SECONDS) the CAD runs in
    a forked child that is killed at the deadline (etr_nn.supervise.call_within), so the answer
    comes in time whatever it is doing; shorter calls (the portfolio's brief try) stay in this
    process, where a fork would cost more than it saves."""
    if isolate is None:
        isolate = timeout is not None and timeout >= ISOLATE_SECONDS
    if isolate and timeout is not None:
        return _decide_in_child(system, timeout)
    deadline = Deadline.after(timeout)
    names = system.names
    tried = 0
    try:
        for branch in branches(system.formula, deadline):
            tried += 1
            point = _search(branch, names, deadline)
            if point is not None:
                values = dict(zip(names, point))
                if not system.holds(values):
                    return Answer("unknown", reason="cad: sample point failed the exact check")
                return Answer("sat", values, f"cad: satisfying cell in branch {tried} after linear elimination")
    except Timeout:
        return Answer("unknown", reason=f"cad: time limit ({tried} branch(es) opened)")
    return Answer("unsat", reason=f"cad (Lazard projection): no satisfying cell in the {tried} branch(es) "
                                  "left by linear elimination and monomial sign rules")


def _decide_in_child(system: System, timeout: float) -> Answer:
    """decide() in a forked child killed at the deadline; the answer comes back as JSON."""
    from etr_nn import supervise

    def work() -> str:
        answer = decide(system, timeout, isolate=False)
        return json.dumps({"status": answer.status, "reason": answer.reason,
                           "point": {name: to_json(v) for name, v in answer.point.items()}})

    text = supervise.call_within(timeout + CHILD_GRACE, work)
    if text is None:
        return Answer("unknown", reason=f"cad: time limit ({timeout:g} s; the decomposition was stopped)")
    doc = json.loads(text)
    return Answer(doc["status"], {name: _number(v) for name, v in doc["point"].items()}, doc["reason"])


def _number(v: str | dict[str, Any]) -> Number:
    """A value of to_json, as the child wrote it (no size limits: not user input; RealAlgebraic
    re-checks the polynomial's irreducibility and the isolating interval)."""
    if isinstance(v, str):
        return Fraction(v)
    return RealAlgebraic(v["root_of"], *v["interval"])


@dataclass(frozen=True)
class SolutionCell:
    """A cell of the decomposition on which the formula holds."""

    index: tuple[int, ...]
    dimension: int
    sample: dict[str, Number]


def cells(system: System, order: list[str] | None = None, timeout: float | None = None) -> list[SolutionCell]:
    """The cells of the CAD (variable order `order`, default the system's) adapted to the
    atom polynomials on which the formula holds."""
    order = list(system.names) if order is None else list(order)
    setup = _Setup(system.formula, system.names, Deadline.after(timeout), order)
    out = []
    for cell in setup.cad.cells():
        if setup.verdict(cell.sample):
            out.append(SolutionCell(cell.index, cell.dimension, dict(zip(order, cell.sample))))
    return out


@dataclass(frozen=True)
class Interval:
    """A connected piece of a subset of R: ends are exact numbers, None is ±∞."""

    lo: Number | None
    hi: Number | None
    lo_closed: bool
    hi_closed: bool

    def __contains__(self, x: Number) -> bool:
        above = self.lo is None or (self.lo <= x if self.lo_closed else self.lo < x)
        below = self.hi is None or (x <= self.hi if self.hi_closed else x < self.hi)
        return above and below

    def __str__(self) -> str:
        lo = "-oo" if self.lo is None else str(self.lo)
        hi = "oo" if self.hi is None else str(self.hi)
        if self.lo is not None and self.lo == self.hi:
            return f"{{{lo}}}"
        return f"{'[' if self.lo_closed else '('}{lo}, {hi}{']' if self.hi_closed else ')'}"


def project(system: System, target: str | Poly, timeout: float | None = None) -> list[Interval]:
    """{ p(x) : x satisfies the system } for p a polynomial of the system's context or a
    variable name, as disjoint ascending intervals: a CAD with t = p ordered first, where a
    cell of the t-line is in the set iff some cell above it satisfies the formula."""
    ctx = system.ctx
    p = ctx.gens()[system.names.index(target)] if isinstance(target, str) else target
    t = "t_"
    while t in system.names:
        t += "_"
    big = flint.fmpq_mpoly_ctx.get((t,) + system.names, "lex")
    _, lifted = reorder([a.poly for a in atoms(system.formula)] + [p], [t, *system.names])
    *parts, image = lifted
    whole = And((Atom(big.gens()[0] - image, "="), _rebuild(system.formula, iter(parts))))
    order = [t] + [n for n in brown_order(parts + [image], big.names()) if n != t]
    setup = _Setup(whole, big.names(), Deadline.after(timeout), order)
    line = setup.cad.stack(())
    inside = [any(True for _ in setup.cad.search(setup.verdict, None, (i,), (v,))) for i, v in line]
    out: list[Interval] = []
    j = 0
    while j < len(line):
        if not inside[j]:
            j += 1
            continue
        a = j
        while j + 1 < len(line) and inside[j + 1]:
            j += 1
        lo_section, hi_section = line[a][0] % 2 == 0, line[j][0] % 2 == 0
        lo = line[a][1] if lo_section else (line[a - 1][1] if a > 0 else None)
        hi = line[j][1] if hi_section else (line[j + 1][1] if j + 1 < len(line) else None)
        out.append(Interval(lo, hi, lo_section, hi_section))
        j += 1
    return out


def _rebuild(formula: Formula, polys: Iterator[Poly]) -> Formula:
    """The formula with its atoms' polynomials replaced, in order, by `polys`."""
    if isinstance(formula, Atom):
        return Atom(next(polys), formula.rel)
    return type(formula)(tuple(_rebuild(f, polys) for f in formula.args))

