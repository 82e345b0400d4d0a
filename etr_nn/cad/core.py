"""Cylindrical algebraic decomposition of R^n adapted to a set of rational polynomials.

Variables are ordered x_1, …, x_n (the order of the polynomials' context): cells of R^k
are stacked over cells of R^(k-1).  Projection: Lazard's (`etr_nn.cad.projection`);
lifting: Lazard evaluation and exact fibre roots (`etr_nn.cad.lifting`).  A cell is named
by its index (i_1, …, i_n), i_k odd for a sector (open interval, rational sample) and even
for a section (a root); its dimension is the number of sectors.

Equational constraint (`equation`, for a formula that implies f = 0 with every irreducible
factor of f of level n; E = those factors, G = the other level-n factors): the first
projection is reduced to P_L(E) ∪ {res_{x_n}(e, g) : e ∈ E, g ∈ G}, and the stacks over
cells of R^(n-1) are those of E alone. The lower levels are Lazard's full projection of
that set, so every cell C of R^(n-1) is Lazard-invariant for it: E is Lazard-delineable on
C (MPP 2019, for the set E), and each res(e, g) has constant sign on C. Over a cell C
where no res(e, g) vanishes at the sample (hence none vanishes on C; `stack` checks it and
raises Unreduced otherwise), e(x, ·) and g(x, ·) have no common root for x ∈ C (a nonzero
resultant also excludes e(x, ·) ≡ 0 and a common drop of degree), so g ≠ 0 on every
section σ of E over C, and σ being connected, g has constant sign on σ. Every point with
f = 0 above C lies on such a section, so the formula's value on σ is its value at σ's
sample; the sectors, where f ≠ 0, falsify it. So searching this decomposition finds a
point of the formula iff there is one, over the cells where the check passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import flint

from etr_nn.deadline import NO_LIMIT, Deadline
from etr_nn.cad.lifting import stack
from etr_nn.cad.lifting import sign
from etr_nn.cad.projection import Poly, check_deadline, irreducible_factors, key, lazard, level, projection_factors
from etr_nn.exact import Number


@dataclass(frozen=True)
class Cell:
    """A cell of the decomposition with its exact sample point."""

    index: tuple[int, ...]
    sample: tuple[Number, ...]

    @property
    def dimension(self) -> int:
        return sum(i % 2 for i in self.index)


Verdict = Callable[[tuple[Number, ...]], bool | None]


class Unreduced(Exception):
    """A resultant res(e, g) of the reduced projection vanishes at a cell's sample: the
    reduced decomposition says nothing above that cell."""


class CAD:
    """The projection factor sets of `polys` (all in one fmpq_mpoly context, whose
    variable order is the CAD's) and lifting over exact sample points; with `equation`
    (one of `polys`, every irreducible factor of level n), the reduced projection of the
    module docstring, whose stacks are only meaningful on the sections of `equation`."""

    def __init__(self, polys: list[Poly], ctx: flint.fmpq_mpoly_ctx, deadline: Deadline = NO_LIMIT,
                 equation: Poly | None = None):
        self.ctx = ctx
        self.n = ctx.nvars()
        self.deadline = deadline
        self.guards: list[Poly] = []  # the resultants res(e, g) of the reduced projection
        self.factors = self._factor_sets(polys, equation)
        self._positions = [{key(g): j for j, g in enumerate(level_factors)} for level_factors in self.factors]
        self._zeros: dict[tuple[Number, ...], frozenset[int]] = {}  # sample → positions of the factors vanishing there
        self._factored: dict[str, tuple[flint.fmpq, list[tuple[Poly, int]]]] = {}

    def _factor_sets(self, polys: list[Poly], equation: Poly | None) -> list[list[Poly]]:
        """The projection factors by level (full, or reduced by the equational constraint)."""
        if equation is None:
            return projection_factors(polys, self.n, self.deadline)
        sections = irreducible_factors(equation)
        if not sections or any(level(e) != self.n for e in sections):
            raise ValueError("an equational constraint needs every irreducible factor of level n")
        inputs = {key(g): g for f in polys for g in irreducible_factors(f)}
        lower = [g for g in inputs.values() if level(g) < self.n]
        others = [g for g in inputs.values() if level(g) == self.n and key(g) not in {key(e) for e in sections}]
        self.guards = [e.resultant(g, self.n - 1) for e in sections for g in others]
        factors = projection_factors(lower + lazard(sections, self.n, self.deadline) + self.guards, self.n, self.deadline)
        factors[self.n - 1] = sections
        return factors

    def stack(self, sample: tuple[Number, ...]) -> list[tuple[int, Number]]:
        """Cells of the stack over a cell of R^k with this sample (k = len(sample)); Unreduced
        if the reduced projection does not hold over it."""
        check_deadline(self.deadline)
        if len(sample) == self.n - 1 and any(self.sign(r, sample) == 0 for r in self.guards):
            raise Unreduced
        cells = stack(self.factors[len(sample)], sample, self.deadline)
        for _, value, zeros in cells:
            self._zeros[sample + (value,)] = zeros
        return [(i, value) for i, value, _ in cells]

    def sign(self, p: Poly, sample: tuple[Number, ...]) -> int:
        """Exact sign of p (in the CAD's context, involving only x_1..x_k, k = len(sample)) at
        the sample of a cell: the product of its irreducible factors' signs. Whether a
        projection factor of level j vanishes at a sample that `stack` produced is known
        from that stack (it vanishes iff it has a root there or is nullified over the cell
        below), so only nonzero signs are computed, by enclosures that then terminate
        without exact evaluation (lifting.sign with `nonzero`); any other factor, or a
        sample not produced here, gets lifting.sign."""
        if p.is_zero():
            return 0
        k = key(p)
        if k not in self._factored:
            self._factored[k] = p.factor()
        constant, factors = self._factored[k]
        result = (constant > 0) - (constant < 0)
        for g, e in factors:
            j = level(g)
            position = self._positions[j - 1].get(key(g))
            zeros = self._zeros.get(sample[:j])
            if position is None or zeros is None:
                s = sign(g, sample[:j], self.deadline)
            else:
                s = 0 if position in zeros else sign(g, sample[:j], self.deadline, nonzero=True)
            if s == 0:
                return 0
            result *= s if e % 2 else 1
        return result

    def cells(self, depth: int | None = None) -> Iterator[Cell]:
        """Every cell of R^depth (default R^n), in lexicographic order of index."""
        yield from self.search(lambda sample: None, depth)

    def search(self, verdict: Verdict, depth: int | None = None,
               index: tuple[int, ...] = (), sample: tuple[Number, ...] = (), sectors: bool = False) -> Iterator[Cell]:
        """Partial CAD: cells of R^depth, above the cell (index, sample), on which verdict is
        not False.  `verdict(sample)` of a cell of R^k may say True (keep the whole cylinder:
        one cell, completed with 0s), False (prune it) or None (decide later; at full depth
        None counts as True).  With `sectors`, only the cells that are sectors at every level
        (the full-dimensional ones, all of whose samples are rational) are visited."""
        depth = self.n if depth is None else depth

        def walk(index: tuple[int, ...], sample: tuple[Number, ...]) -> Iterator[Cell]:
            if len(sample) == depth:
                yield Cell(index, sample)
                return
            for i, value in self.stack(sample):
                if sectors and i % 2 == 0:
                    continue
                s, ix = sample + (value,), index + (i,)
                v = verdict(s)
                if v is False:
                    continue
                if v is True:
                    pad = depth - len(s)
                    yield Cell(ix + (1,) * pad, s + (Fraction(0),) * pad)
                    continue
                yield from walk(ix, s)

        v = verdict(sample)
        if v is True:
            pad = depth - len(sample)
            yield Cell(index + (1,) * pad, sample + (Fraction(0),) * pad)
        elif v is None:
            yield from walk(index, sample)


def brown_order(polys: list[Poly], names: tuple[str, ...]) -> list[str]:
    """Variable order by Brown's heuristic: the variable projected first (placed last) has
    the lowest degree, then the lowest total degree of the terms containing it, then the
    fewest such terms."""
    def rank(i: int) -> tuple[int, int, int]:
        deg = tdeg = count = 0
        for f in polys:
            for exps, _ in f.terms():
                if exps[i]:
                    deg, tdeg, count = max(deg, exps[i]), max(tdeg, sum(exps)), count + 1
        return deg, tdeg, count

    used = [i for i in range(len(names)) if any(f.degrees()[i] for f in polys)]
    return [names[i] for i in sorted(used, key=rank, reverse=True)]


def reorder(polys: list[Poly], order: list[str]) -> tuple[flint.fmpq_mpoly_ctx, list[Poly]]:
    """The polynomials in a new context whose variables are `order` (every variable
    occurring in them must be in it)."""
    ctx = flint.fmpq_mpoly_ctx.get(tuple(order), "lex")
    if not polys:
        return ctx, []
    old = polys[0].context().names()
    position = {name: j for j, name in enumerate(order)}
    out = []
    for f in polys:
        d: dict[tuple[int, ...], flint.fmpq] = {}
        for exps, c in f.terms():
            e = [0] * len(order)
            for name, k in zip(old, exps):
                if k:
                    e[position[name]] = k
            d[tuple(e)] = c
        out.append(ctx.from_dict(d))
    return ctx, out
