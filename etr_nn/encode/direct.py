"""The direct encoding: training as polynomial formulas with ReLU case splits.

Variables: w_j_t, b_j (hidden layer), a_o_j, c_o (output layer), h_i_j = relu(w_j·x_i + b_j).
Each ReLU is the case split (z ≥ 0 ∧ h = z) ∨ (z ≤ 0 ∧ h = 0), z = w_j·x_i + b_j linear;
the only products are a_o_j·h_i_j and, for squared loss with γ > 0, r_i_o² — never more
than two unknowns.

Reductions that keep the answer (facts 1 and 6 of the design notes), real weights only:
- positive homogeneity: (w_j, b_j, A[:, j]) ~ (t·w_j, t·b_j, A[:, j]/t) for t > 0. With one
  output, A[0, j] is a sign s_j = ±1 (a neuron with A[0, j] = 0 is dead and can be given
  w = 0, b ≤ 0 and any sign): the formula becomes linear, and neurons are sorted so the
  positive ones come first, giving k + 1 linear cases instead of one nonlinear formula.
- neurons are interchangeable: b_j ≤ b_{j+1} within each group that shares a sign (a dead
  neuron takes b = min(0, other biases), so it fits anywhere in the order).
With a finite weight set no scaling is allowed; only the ordering of b is kept. With two or
more outputs and real weights the weights stay free: Z3's nlsat is faster without the
max-norm normalisation of A's columns and the ordering (measured: 0.06 s against 50 s on
encodings/planted-d1-k2-m2-n6-s3.json; 0.06 s against 1.2 s on an unsat 2-1-2 instance),
and the pattern-search engine, not this encoding, is the fast path for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

import flint

from etr_nn.exact import Number, to_fmpq
from etr_nn.instance import Instance, Shape
from etr_nn.network import Network
from etr_nn.poly import And, Atom, Formula, Or, System


@dataclass(frozen=True)
class Case:
    """One case of the encoding: the instance fits iff some case's system is satisfiable."""

    system: System
    shape: Shape
    signs: tuple[int, ...] | None  # output signs fixed by normalisation (one output), else None
    label: str

    def network(self, point: Mapping[str, Number]) -> Network:
        """The network a satisfying point encodes (unassigned variables read as 0)."""
        value = lambda name: point.get(name, Fraction(0))  # noqa: E731
        d, k, m = self.shape.inputs, self.shape.hidden, self.shape.outputs
        W = [[value(f"w_{j}_{t}") for t in range(d)] for j in range(k)]
        A = [[Fraction(self.signs[j]) if self.signs else value(f"a_{o}_{j}") for j in range(k)]
             for o in range(m)]
        return Network.build(W, [value(f"b_{j}") for j in range(k)], A, [value(f"c_{o}") for o in range(m)])


def variables(instance: Instance, with_a: bool) -> list[str]:
    d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs
    names = [f"w_{j}_{t}" for j in range(k) for t in range(d)] + [f"b_{j}" for j in range(k)]
    if with_a:
        names += [f"a_{o}_{j}" for o in range(m) for j in range(k)]
    names += [f"c_{o}" for o in range(m)]
    names += [f"h_{i}_{j}" for i in range(instance.n) for j in range(k)]
    if instance.max_error > 0:
        names += [f"r_{i}_{o}" for i in range(instance.n) for o in range(m)]
    return names


def encode(instance: Instance, normalise: bool = True) -> list[Case]:
    """The cases whose disjunction is equivalent to "the instance can be fitted".

    With normalise=False the weights stay free (no scaling, no ordering): one case whose
    solutions are exactly all fitting networks, for statements about individual weights.
    """
    k, m = instance.shape.hidden, instance.shape.outputs
    if not normalise or (instance.weights is None and m >= 2):
        return [_case(instance, None, "all weights free, no normalisation", normalise=False)]
    if instance.weights is None and m == 1:
        return [_case(instance, tuple([1] * p + [-1] * (k - p)), f"{p} positive output weight(s)")
                for p in range(k, -1, -1)]
    return [_case(instance, None, "all output weights free")]


def relu(ctx: flint.fmpq_mpoly_ctx, x: Sequence[Fraction], j: int, h: flint.fmpq_mpoly) -> Formula:
    """h = relu(z) for neuron j's pre-activation z = w_j·x + b_j at x, as the case split
    (z ≥ 0 ∧ h = z) ∨ (z ≤ 0 ∧ h = 0), over the context's variables w_j_t, b_j."""
    var = dict(zip(ctx.names(), ctx.gens()))
    z = var[f"b_{j}"] + sum((var[f"w_{j}_{t}"] * to_fmpq(v) for t, v in enumerate(x)), ctx.from_dict({}))
    return Or((And((Atom(z, ">="), Atom(h - z, "="))), And((Atom(z, "<="), Atom(h, "=")))))


def _case(instance: Instance, signs: tuple[int, ...] | None, label: str, normalise: bool = True) -> Case:
    ctx = flint.fmpq_mpoly_ctx.get(tuple(variables(instance, signs is None)), "lex")
    var = dict(zip(ctx.names(), ctx.gens()))
    k, m = instance.shape.hidden, instance.shape.outputs

    def const(value: Fraction) -> flint.fmpq_mpoly:
        return ctx.constant(to_fmpq(value))

    def a(o: int, j: int) -> flint.fmpq_mpoly:
        return const(Fraction(signs[j])) if signs else var[f"a_{o}_{j}"]

    parts: list[Formula] = [relu(ctx, x, j, var[f"h_{i}_{j}"]) for i, x in enumerate(instance.points) for j in range(k)]
    squares = ctx.from_dict({})
    for i, y in enumerate(instance.labels):
        for o in range(m):
            residual = sum((a(o, j) * var[f"h_{i}_{j}"] for j in range(k)), var[f"c_{o}"]) - const(y[o])
            if instance.max_error == 0:
                parts.append(Atom(residual, "="))
            elif instance.loss == "absolute":  # r ≥ |residual|
                r = var[f"r_{i}_{o}"]
                parts += [Atom(r - residual, ">="), Atom(r + residual, ">=")]
                squares += r
            else:
                r = var[f"r_{i}_{o}"]
                parts.append(Atom(r - residual, "="))
                squares += r * r
    if instance.max_error > 0:
        parts.append(Atom(squares - const(instance.max_error), "<="))
    if instance.weights is not None:
        weight_names = [n for n in ctx.names() if n[0] in "wbac" and n[1] == "_"]
        parts += [Or(tuple(Atom(var[n] - const(v), "=") for v in instance.weights)) for n in weight_names]
    for j in range(k - 1 if normalise else 0):
        if signs is None or signs[j] == signs[j + 1]:
            parts.append(Atom(var[f"b_{j}"] - var[f"b_{j + 1}"], "<="))
    return Case(System(ctx, And(tuple(parts))), instance.shape, signs, label)
