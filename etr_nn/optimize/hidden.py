"""The squared training loss as a function of the hidden layer alone (variable projection).

For fixed hidden weights v_j = (w_j, b_j) the best output layer is a least-squares problem.
With H = [h_1 … h_k, 1] (h_j = relu(X̃·v_j) over the data, X̃ rows x̃_i = (x_i, 1)) of full
column rank,

    min_{A, c} Σ_o ‖H·(A_o, c_o) − y_o‖² = Σ_o Gram(H, y_o) / Gram(H),

the squared distance of y_o to the column space of H as a ratio of Gram determinants. On a
*piece* — a chart and a closed dichotomy cell for every neuron — each h_j is linear in the
chart coordinates, so the loss is a rational function N/D of a few variables, and
N, D > 0 and the cell inequalities are a semi-algebraic system for the CAD:

- chart (p, s): the first nonzero coordinate of w_j is w_jp = s ∈ {−1, 1}, after positive
  scaling (fact 1); w_j = 0 makes the neuron constant on the data;
- cell: x̃_i·v_j ≥ 0 for i ∈ S_j and ≤ 0 otherwise, S_j a hyperplane dichotomy (fact 5);
  every v_j lies in the closure of some dichotomy's cell, where relu is linear.

Rank drops (D = 0, which includes constant and dead neurons) add nothing: a column of H in
the span of the others is absorbed by their output weights, so such a network computes on
the data what a network with fewer neurons computes. Hence every network is covered by the
pieces with D ≢ 0 of some width k' ≤ k (width 0: the constant network c = mean label).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import combinations_with_replacement
from typing import Iterator, Sequence

import flint

from etr_nn.exact import Number, to_fmpq
from etr_nn.instance import Instance
from etr_nn.network import Network, dot
from etr_nn.poly import NEGATION, And, Atom, Formula, System
from etr_nn.poly.formula import evaluate
from etr_nn.search.dichotomies import dichotomies, lifted
from etr_nn.backends.z3_backend import Z3Backend

Poly = flint.fmpq_mpoly
Chart = tuple[int, int]  # (p, s): w_p = s, w_q = 0 for q < p
Option = tuple[Chart, frozenset[int]]
LOSS = "t"


@dataclass(frozen=True)
class Piece:
    """Hidden neurons j with chart `options[j][0]` and closed activation set `options[j][1]`."""

    instance: Instance
    options: tuple[Option, ...]

    @property
    def names(self) -> tuple[str, ...]:
        d = self.instance.shape.inputs
        return tuple(name for j, ((p, _), _) in enumerate(self.options)
                     for name in [f"w{j + 1}_{q + 1}" for q in range(p + 1, d)] + [f"b{j + 1}"])

    def context(self, extra: tuple[str, ...] = ()) -> flint.fmpq_mpoly_ctx:
        return flint.fmpq_mpoly_ctx.get(self.names + extra, "lex")

    def neurons(self, ctx: flint.fmpq_mpoly_ctx) -> list[list[Poly]]:
        """v_j = (w_j, b_j) as polynomials in the chart coordinates."""
        d = self.instance.shape.inputs
        gens = dict(zip(ctx.names(), ctx.gens()))
        out = []
        for j, ((p, s), _) in enumerate(self.options):
            w = [ctx.from_dict({}) if q < p else ctx.constant(s) if q == p else gens[f"w{j + 1}_{q + 1}"]
                 for q in range(d)]
            out.append(w + [gens[f"b{j + 1}"]])
        return out

    def columns(self, ctx: flint.fmpq_mpoly_ctx) -> list[list[Poly]]:
        """h_j over the data (x̃_i·v_j on S_j, 0 elsewhere), then the constant column."""
        xs = lifted(self.instance.points)
        cols = [[_dot(x, v) if i in active else ctx.from_dict({}) for i, x in enumerate(xs)]
                for v, (_, active) in zip(self.neurons(ctx), self.options)]
        return cols + [[ctx.constant(1)] * len(xs)]

    def cell(self, ctx: flint.fmpq_mpoly_ctx) -> list[Atom]:
        """The closed cells (x̃_i·v_j ≥ 0 on S_j, ≤ 0 off it), without the inequalities
        that the others imply (`irredundant`)."""
        xs = lifted(self.instance.points)
        out: list[Atom] = []
        for v, option in zip(self.neurons(ctx), self.options):
            out += [Atom(_dot(xs[i], v), ">=" if i in option[1] else "<=") for i in irredundant(self.instance, option)]
        return out

    def loss(self, ctx: flint.fmpq_mpoly_ctx) -> tuple[Poly, Poly]:
        """(N, D): the least-squares loss N/D = Σ_o Gram(H, y_o)/Gram(H), D = Gram(H)."""
        cols = self.columns(ctx)
        numerator = ctx.from_dict({})
        for o in range(self.instance.shape.outputs):
            y = [ctx.constant(to_fmpq(label[o])) for label in self.instance.labels]
            numerator += gram(cols + [y])
        return numerator, gram(cols)

    def system(self, formula: Formula, ctx: flint.fmpq_mpoly_ctx) -> System:
        return System(ctx, And((formula, *self.cell(ctx))))

    def loss_system(self) -> System | None:
        """t = N/D, D > 0, on the cells (the CAD projects it onto t); None if D ≡ 0."""
        ctx = self.context((LOSS,))
        numerator, denominator = self.loss(ctx)
        t = ctx.gens()[-1]
        if denominator.is_zero():
            return None
        return self.system(And((Atom(t * denominator - numerator, "="), Atom(denominator, ">"))), ctx)

    def level_system(self, level: Fraction) -> System | None:
        """N = level·D, D > 0, on the cells: the networks of the piece with loss `level`;
        None if D ≡ 0."""
        ctx = self.context()
        numerator, denominator = self.loss(ctx)
        if denominator.is_zero():
            return None
        return self.system(And((Atom(numerator - denominator * to_fmpq(level), "="), Atom(denominator, ">"))), ctx)

    def network(self, point: dict[str, Number], width: int) -> Network:
        """The network at chart coordinates `point` with its least-squares output layer,
        padded with dead neurons to `width`."""
        ctx = self.context()
        values = [point[name] for name in ctx.names()]
        v = [[evaluate(e, values) for e in vj] for vj in self.neurons(ctx)]
        cols = [[evaluate(e, values) for e in col] for col in self.columns(ctx)]
        gram_matrix = [[dot(a, b) for b in cols] for a in cols]
        outputs = []
        for o in range(self.instance.shape.outputs):
            y = [label[o] for label in self.instance.labels]
            outputs.append(solve_linear(gram_matrix, [dot(col, y) for col in cols]))
        d, dead = self.instance.shape.inputs, width - len(self.options)
        zero = Fraction(0)
        return Network.build([vj[:d] for vj in v] + [[zero] * d] * dead, [vj[d] for vj in v] + [zero] * dead,
                             [row[:-1] + [zero] * dead for row in outputs], [row[-1] for row in outputs])


@lru_cache(maxsize=8)
def options(instance: Instance) -> list[Option]:
    """Every (chart, nonempty dichotomy) whose closed cell meets the chart (exact LP)."""
    out = []
    for active in dichotomies(instance.points):
        for chart in [(p, s) for p in range(instance.shape.inputs) for s in (1, -1)] if active else []:
            single = Piece(instance, ((chart, active),))
            ctx = single.context()
            xs = lifted(instance.points)
            (v,) = single.neurons(ctx)
            if _satisfiable(ctx, [Atom(_dot(x, v), ">=" if i in active else "<=") for i, x in enumerate(xs)]):
                out.append((chart, active))
    return out


@lru_cache(maxsize=4096)
def irredundant(instance: Instance, option: Option) -> tuple[int, ...]:
    """The data points whose cell inequality for a neuron with this option is not implied by the
    others (each tested exactly: the others ∧ its strict negation unsat means implied)."""
    single = Piece(instance, (option,))
    ctx = single.context()
    (v,) = single.neurons(ctx)
    atoms = {i: Atom(_dot(x, v), ">=" if i in option[1] else "<=") for i, x in enumerate(lifted(instance.points))}
    for i in list(atoms):
        others = [b for j, b in atoms.items() if j != i]
        if others and not _satisfiable(ctx, others + [Atom(atoms[i].poly, NEGATION[atoms[i].rel])]):
            del atoms[i]
    return tuple(atoms)


def pieces(instance: Instance, width: int) -> Iterator[Piece]:
    """The pieces with `width` neurons (multisets of options: neurons are interchangeable)."""
    for combo in combinations_with_replacement(options(instance), width):
        yield Piece(instance, combo)


def gram(columns: Sequence[Sequence[Poly]]) -> Poly:
    """det(C^T C) for the matrix C with the given columns."""
    return determinant([[_pdot(a, b) for b in columns] for a in columns])


def determinant(matrix: list[list[Poly]]) -> Poly:
    """Bareiss' fraction-free elimination (each division exact)."""
    m = [row[:] for row in matrix]
    n = len(m)
    sign, previous = 1, None
    for k in range(n - 1):
        pivot = next((r for r in range(k, n) if not m[r][k].is_zero()), None)
        if pivot is None:
            return m[0][0] * 0
        if pivot != k:
            m[k], m[pivot] = m[pivot], m[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                value = m[i][j] * m[k][k] - m[i][k] * m[k][j]
                m[i][j] = value if previous is None else value / previous
        previous = m[k][k]
    return m[n - 1][n - 1] * sign


def solve_linear(matrix: list[list[Number]], rhs: list[Number]) -> list[Number]:
    """The unique solution of matrix·z = rhs (nonsingular), by exact Gaussian elimination."""
    n = len(rhs)
    m = [list(row) + [r] for row, r in zip(matrix, rhs)]
    for k in range(n):
        pivot = next(r for r in range(k, n) if m[r][k] != 0)
        m[k], m[pivot] = m[pivot], m[k]
        for i in range(n):
            if i != k and m[i][k] != 0:
                f = m[i][k] / m[k][k]
                m[i] = [a - f * b for a, b in zip(m[i], m[k])]
    return [m[k][n] / m[k][k] for k in range(n)]


def _satisfiable(ctx: flint.fmpq_mpoly_ctx, atoms: list[Atom]) -> bool:
    """Exact linear feasibility (Z3's simplex over Q)."""
    return Z3Backend().check(System(ctx, And(tuple(atoms)))).status == "sat"


def _dot(x: Sequence[Fraction], v: Sequence[Poly]) -> Poly:
    total = v[0] * 0
    for a, e in zip(x, v):
        if a:
            total += e * to_fmpq(a)
    return total


def _pdot(a: Sequence[Poly], b: Sequence[Poly]) -> Poly:
    total = a[0] * 0
    for u, v in zip(a, b):
        if not u.is_zero() and not v.is_zero():
            total += u * v
    return total
