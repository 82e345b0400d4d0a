"""Cylindrical algebraic decomposition of R^n adapted to a set of rational polynomials.

Variables are ordered x_1, …, x_n (the order of the polynomials' context): cells of R^k
are stacked over cells of R^(k-1).  Projection: Lazard's (`etr_nn.cad.projection`);
lifting: Lazard evaluation and exact fibre roots (`etr_nn.cad.lifting`).  A cell is named
by its index (i_1, …, i_n), i_k odd for a sector (open interval, rational sample) and even
for a section (a root); its dimension is the number of sectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import flint

from etr_nn.deadline import NO_LIMIT, Deadline
from etr_nn.cad.lifting import stack
from etr_nn.cad.projection import Poly, check_deadline, projection_factors
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


class CAD:
    """The projection factor sets of `polys` (all in one fmpq_mpoly context, whose
    variable order is the CAD's) and lifting over exact sample points."""

    def __init__(self, polys: list[Poly], ctx: flint.fmpq_mpoly_ctx, deadline: Deadline = NO_LIMIT):
        self.ctx = ctx
        self.n = ctx.nvars()
        self.deadline = deadline
        self.factors = projection_factors(polys, self.n, deadline)

    def stack(self, sample: tuple[Number, ...]) -> list[tuple[int, Number]]:
        """Cells of the stack over a cell of R^k with this sample (k = len(sample))."""
        check_deadline(self.deadline)
        return stack(self.factors[len(sample)], sample, self.deadline)

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
