"""Exact, backend-free checks of a network against an instance.

Nothing here trusts the backend that produced the weights: the loss is recomputed in
exact arithmetic (Q, or the real algebraic numbers of etr_nn.exact), every ReLU decided
by an exact sign.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from etr_nn.exact import Number
from etr_nn.instance import Instance
from etr_nn.network import Network


@dataclass(frozen=True)
class Check:
    """The outcome of certifying a network: `valid` iff every reason list is empty."""

    loss: Number | None
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        return not self.problems


def loss(instance: Instance, network: Network) -> Number:
    """Σ_i Σ_o ℓ(f(x_i)_o − y_io), with ℓ = |·| or (·)², computed exactly."""
    total: Number = Fraction(0)
    for x, y in zip(instance.points, instance.labels):
        for value, label in zip(network(x), y):
            residual = value - label
            if residual:
                total = total + ((-residual if residual < 0 else residual) if instance.loss == "absolute" else residual * residual)
    return total


def certify(instance: Instance, network: Network, bound: Number | None = None) -> Check:
    """Does `network` have the instance's shape, allowed weights and loss ≤ `bound` (default: the
    instance's max_error; optimize's bound is the optimum, maybe irrational)?"""
    if network.shape != instance.shape or any(len(row) != instance.shape.inputs for row in network.W):
        s = instance.shape
        return Check(None, (f"the network's shape {_shape(network)} is not the instance's "
                            f"{s.hidden}×{s.inputs}, {s.outputs}×{s.hidden}",))
    problems = []
    if instance.weights is not None:
        allowed = set(instance.weights)
        outside = [v for v in network.weights() if not (isinstance(v, Fraction) and v in allowed)]
        if outside:
            problems.append(f"{len(outside)} weight(s) outside the allowed finite set, e.g. {outside[0]}")
    value = loss(instance, network)
    limit, name = (instance.max_error, "max_error") if bound is None else (bound, "the bound")
    if value > limit:
        problems.append(f"loss {_show(value)} exceeds {name} {_show(limit)}")
    return Check(value, tuple(problems))


def _shape(network: Network) -> str:
    s = network.shape
    return f"{s.hidden}×{s.inputs}, {s.outputs}×{s.hidden}"


def _show(value: Number) -> str:
    return str(value) if isinstance(value, Fraction) else value.approx(12)
