"""Cylindrical algebraic decomposition (CAD), exact, as a backend and as a description
of semi-algebraic sets.

- `CAD(polys, ctx)`: the decomposition of R^n adapted to rational polynomials
  (Lazard projection, lifting over exact real algebraic sample points); `.cells()`.
- `decide(system, timeout)` (backend "cad", `etr_nn.backends.cad_backend`): sat with an
  exact point checked by `System.holds`, unsat, or unknown on timeout; linear equations
  are eliminated and disjunctions holding equations split before the CAD.
- `cells(system, order)`: the cells where the formula holds, with dimension and sample.
- `project(system, p)`: the set of values of a polynomial on the solution set, as
  `Interval`s with exact (algebraic) ends.

Example::

    >>> import flint
    >>> from etr_nn.poly import Atom, System
    >>> ctx = flint.fmpq_mpoly_ctx.get(("x", "y"), "lex")
    >>> x, y = ctx.gens()
    >>> [str(i) for i in project(System(ctx, Atom(x**2 + y**2 - 1, "<=")), "x")]
    ['[-1, 1]']
"""

from etr_nn.cad.core import CAD, Cell, brown_order
from etr_nn.cad.decide import Interval, SolutionCell, cells, decide, project

__all__ = ["CAD", "Cell", "Interval", "SolutionCell", "brown_order", "cells", "decide", "project"]
