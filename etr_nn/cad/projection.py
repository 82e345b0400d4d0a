"""Lazard's projection: the polynomials whose sign-invariant cells in R^(k-1) carry
delineable (Lazard-invariant) stacks of the level-k polynomials.

For a set A of irreducible polynomials of level k (main variable x_k) Lazard's projection
is

    P_L(A) = { lc_{x_k}(f), tc_{x_k}(f), disc_{x_k}(f) : f ∈ A } ∪ { res_{x_k}(f, g) : f ≠ g ∈ A },

split into irreducible factors (tc is the trailing coefficient, of the lowest power of
x_k).  It is valid for every input (McCallum, Parusiński, Paunescu, "Validity proof of
Lazard's method for CAD", J. Symb. Comp. 2019) when lifting uses Lazard evaluation, so
there is no well-orientedness condition to check and no fallback to keep: that is why it
is used here instead of McCallum's projection (which needs all coefficients and fails on
nullification over cells of positive dimension, which the bilinear products a·h of the
network encodings produce routinely).
"""

from __future__ import annotations

import flint

from etr_nn.deadline import NO_LIMIT, Deadline

Poly = flint.fmpq_mpoly


class Timeout(Exception):
    """The deadline passed."""


def check_deadline(deadline: Deadline) -> None:
    if deadline.passed():
        raise Timeout


def level(f: Poly) -> int:
    """1 + index of the highest variable f depends on (0 for a constant)."""
    degrees = f.degrees()
    return max((i + 1 for i, e in enumerate(degrees) if e > 0), default=0)


def key(f: Poly) -> str:
    return str(f)


def irreducible_factors(f: Poly) -> list[Poly]:
    """Non-constant irreducible factors of f (primitive, as FLINT normalises them)."""
    if f.is_zero() or f.is_constant():
        return []
    return [g for g, _ in f.factor()[1] if not g.is_constant()]


def coefficients(f: Poly, i: int) -> dict[int, Poly]:
    """f = Σ_e c_e · x_i^e, as {e: c_e} (c_e free of x_i)."""
    ctx = f.context()
    grouped: dict[int, dict[tuple[int, ...], flint.fmpq]] = {}
    for exps, c in f.terms():
        e = exps[i]
        grouped.setdefault(e, {})[exps[:i] + (0,) + exps[i + 1:]] = c
    return {e: ctx.from_dict(d) for e, d in grouped.items()}


def lazard(polys: list[Poly], k: int, deadline: Deadline = NO_LIMIT) -> list[Poly]:
    """P_L of the level-k irreducible polynomials `polys` (variable index k - 1)."""
    i = k - 1
    out: list[Poly] = []
    for a, f in enumerate(polys):
        check_deadline(deadline)
        cs = coefficients(f, i)
        out += [cs[max(cs)], cs[min(cs)]]
        if max(cs) >= 2:
            out.append(f.discriminant(i))
        for g in polys[a + 1:]:
            out.append(f.resultant(g, i))
    return out


def projection_factors(polys: list[Poly], nvars: int, deadline: Deadline = NO_LIMIT) -> list[list[Poly]]:
    """The projection factor sets by level: result[k - 1] holds the irreducible level-k
    factors of the input and of the iterated Lazard projections."""
    levels: list[dict[str, Poly]] = [{} for _ in range(nvars)]

    def add(f: Poly) -> None:
        for g in irreducible_factors(f):
            levels[level(g) - 1].setdefault(key(g), g)

    for f in polys:
        add(f)
    for k in range(nvars, 1, -1):
        for f in lazard(list(levels[k - 1].values()), k, deadline):
            add(f)
    return [list(d.values()) for d in levels]
