"""Polynomial formulas: atoms p ⋈ 0 (p ∈ Q[x_1..x_N]) under And / Or.

Polynomials are python-flint `fmpq_mpoly`s over one context per system, so every
backend (Z3, the CAD, SMT-LIB text) reads the same exact object.  Backends read a
polynomial's exponent vectors by position in the system's context, so a `System` only
accepts atoms built in that very context (flint caches contexts: equal variable names
and ordering give the identical object); `rebase` moves a formula or polynomial into
another context by variable name.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterator, Literal, Mapping, Sequence, TypeVar, Union, get_args, overload

import flint

from etr_nn.exact import Number

Relation = Literal["=", "!=", "<", "<=", ">", ">="]
RELATIONS: tuple[str, ...] = get_args(Relation)
_RELATIONS = frozenset(RELATIONS)
#: rel → the test "value rel 0", for values of any ordered ring: Fraction, RealAlgebraic, flint's
#: fmpq, integer signs, Z3 terms (where it builds the Z3 atom).
HOLDS: dict[Relation, Callable[[Any], Any]] = {"=": lambda v: v == 0, "!=": lambda v: v != 0, "<": lambda v: v < 0,
                                              "<=": lambda v: v <= 0, ">": lambda v: v > 0, ">=": lambda v: v >= 0}
NEGATION: dict[Relation, Relation] = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


@dataclass(frozen=True)
class Atom:
    """poly ⋈ 0."""

    poly: flint.fmpq_mpoly
    rel: Relation

    def __post_init__(self) -> None:
        if not isinstance(self.poly, flint.fmpq_mpoly):
            raise TypeError(f"Atom polynomial must be a flint.fmpq_mpoly, not {type(self.poly).__name__}")
        if self.rel not in _RELATIONS:
            raise ValueError(f"unknown relation {self.rel!r}: expected one of {', '.join(RELATIONS)}")


@dataclass(frozen=True)
class And:
    """The conjunction of `args` (a tuple; And(()) is true)."""

    args: tuple[Formula, ...]

    def __post_init__(self) -> None:
        _check_args(self)


@dataclass(frozen=True)
class Or:
    """The disjunction of `args` (a tuple; Or(()) is false)."""

    args: tuple[Formula, ...]

    def __post_init__(self) -> None:
        _check_args(self)


Formula = Union[Atom, And, Or]


def _check_args(formula: And | Or) -> None:
    """Arguments are a tuple of formulas (not any iterable: a generator would be consumed
    and a list would make the frozen formula unhashable)."""
    kind = type(formula).__name__
    if not isinstance(formula.args, tuple):
        raise TypeError(f"{kind} arguments must be a tuple of formulas, not {type(formula.args).__name__}")
    for f in formula.args:
        if not isinstance(f, (Atom, And, Or)):
            raise TypeError(f"{kind} arguments must be formulas (Atom, And, Or), not {type(f).__name__}")


@dataclass(frozen=True)
class System:
    """A formula over the variables of `ctx` (names from `ctx.names()`)."""

    ctx: flint.fmpq_mpoly_ctx
    formula: Formula

    def __post_init__(self) -> None:
        if not isinstance(self.ctx, flint.fmpq_mpoly_ctx):
            raise TypeError(f"System context must be a flint.fmpq_mpoly_ctx, not {type(self.ctx).__name__}")
        if not isinstance(self.formula, (Atom, And, Or)):
            raise TypeError(f"System formula must be a formula (Atom, And, Or), not {type(self.formula).__name__}")
        # Iterative, each distinct subformula once (shared subformulas stay linear).
        stack: list[Formula] = [self.formula]
        seen: set[int] = set()
        while stack:
            f = stack.pop()
            if not isinstance(f, Atom):
                if id(f) not in seen:
                    seen.add(id(f))
                    stack.extend(f.args)
                continue
            other = f.poly.context()
            if other is not self.ctx:
                text = str(f.poly)
                text = text if len(text) <= 60 else text[:57] + "..."
                raise ValueError(f"atom {text} {f.rel} 0 is over the variables {tuple(other.names())}"
                                 f" ({other.ordering().name}), not the system's {tuple(self.ctx.names())}"
                                 f" ({self.ctx.ordering().name}); move it with rebase(formula, ctx)")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.ctx.names())

    def holds(self, point: Mapping[str, Number]) -> bool:
        """Exact truth of the formula at a point (rational or algebraic coordinates)."""
        values = [point[name] for name in self.names]
        return _holds(self.formula, values)


def negation(formula: Formula) -> Formula:
    """¬formula with the negation pushed to the atoms: ¬(p ⋈ 0) is p ⋈' 0 (NEGATION), De Morgan for And / Or."""
    if isinstance(formula, Atom):
        return Atom(formula.poly, NEGATION[formula.rel])
    return (Or if isinstance(formula, And) else And)(tuple(negation(f) for f in formula.args))


def atoms(formula: Formula) -> Iterator[Atom]:
    """The formula's atoms, left to right (iterative: deep formulas are fine; a subformula
    shared by several parents is visited once per occurrence)."""
    stack: list[Formula] = [formula]
    while stack:
        f = stack.pop()
        if isinstance(f, Atom):
            yield f
        else:
            stack.extend(reversed(f.args))


T = TypeVar("T", bound=Formula)


@overload
def rebase(item: flint.fmpq_mpoly, ctx: flint.fmpq_mpoly_ctx) -> flint.fmpq_mpoly: ...
@overload
def rebase(item: T, ctx: flint.fmpq_mpoly_ctx) -> T: ...
def rebase(item: flint.fmpq_mpoly | Formula, ctx: flint.fmpq_mpoly_ctx) -> flint.fmpq_mpoly | Formula:
    """The same polynomial or formula over `ctx`, variables matched by name.

    Every variable of the source context must be a variable of `ctx` (any order; extra
    variables of `ctx` do not occur in the result).  Parts already over `ctx` are kept as they are."""
    if isinstance(item, flint.fmpq_mpoly):
        return _rebase_poly(item, ctx, {})
    if not isinstance(item, (Atom, And, Or)):
        raise TypeError(f"rebase takes a flint.fmpq_mpoly or a formula, not {type(item).__name__}")
    checked: dict[int, flint.fmpq_mpoly_ctx] = {}

    def walk(f: Formula) -> Formula:
        if isinstance(f, Atom):
            poly = _rebase_poly(f.poly, ctx, checked)
            return f if poly is f.poly else Atom(poly, f.rel)
        args = tuple(walk(g) for g in f.args)
        return f if all(a is g for a, g in zip(args, f.args)) else type(f)(args)

    return walk(item)


def _rebase_poly(poly: flint.fmpq_mpoly, ctx: flint.fmpq_mpoly_ctx,
                 checked: dict[int, flint.fmpq_mpoly_ctx]) -> flint.fmpq_mpoly:
    source = poly.context()
    if source is ctx:
        return poly
    if id(source) not in checked:
        names = set(ctx.names())
        missing = [name for name in source.names() if name not in names]
        if missing:
            raise ValueError(f"cannot rebase from the variables {tuple(source.names())} to {tuple(ctx.names())}:"
                             f" {', '.join(missing)} missing")
        checked[id(source)] = source  # keeps the context alive, so its id is not reused
    return poly.project_to_context(ctx)


def evaluate(poly: flint.fmpq_mpoly, values: Sequence[Number], tick: Callable[[], None] | None = None) -> Number:
    """p(values), exactly: Σ coefficient · Π value^exponent; `tick()` before each term (a deadline
    check: with algebraic values one term can take long)."""
    total: Number = Fraction(0)
    for monomial, coefficient in poly.terms():
        if tick is not None:
            tick()
        term: Number = Fraction(int(coefficient.p), int(coefficient.q))
        for value, exponent in zip(values, monomial):
            if exponent:
                term = term * value ** int(exponent)
        total = total + term
    return total


def _holds(formula: Formula, values: list[Number]) -> bool:
    if isinstance(formula, And):
        return all(_holds(f, values) for f in formula.args)
    if isinstance(formula, Or):
        return any(_holds(f, values) for f in formula.args)
    return bool(HOLDS[formula.rel](evaluate(formula.poly, values)))
