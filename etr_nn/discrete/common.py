"""What the discrete methods share: the instance over the integers, outcomes.

A finite-weight instance over the integers: one common scale for every quantity.

With D_S, D_x, D_y the lcm of the denominators of the weight set, the points and the
labels, put s' = D_S·s (weights), x' = D_x·x. Then for a neuron (w, b, a):
    z' = Σ_t w'_t·x'_t + D_x·b' = D_S·D_x·z          (pre-activation, an integer)
    h' = max(z', 0) = D_S·D_x·relu(z)
    D_y·a'·h' = L·a·relu(z),   L = D_S²·D_x·D_y       (contribution to an output)
    D_S·D_x·D_y·c' = L·c,      L·y                    (output bias, label: integers)
so every residual times L is an integer r', and
    Σ|r| ≤ γ  ⟺  Σ|r'| ≤ ⌊γ·L⌋,      Σ r² ≤ γ  ⟺  Σ r'² ≤ ⌊γ·L²⌋.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable, Literal

from etr_nn.instance import Instance
from etr_nn.network import Network


def denominator_lcm(values: Iterable[Fraction]) -> int:
    return math.lcm(1, *(v.denominator for v in values))


@dataclass(frozen=True)
class Scaled:
    """The integer form of a finite-weight instance (see the module docstring)."""

    instance: Instance
    d_s: int
    d_x: int
    d_y: int
    weights: tuple[int, ...]                    # D_S·s for s in the set, ascending
    points: tuple[tuple[int, ...], ...]         # D_x·x_i
    labels: tuple[tuple[int, ...], ...]         # L·y_i

    @staticmethod
    def of(instance: Instance) -> Scaled:
        assert instance.weights is not None, "a finite weight set is required"
        d_s = denominator_lcm(instance.weights)
        d_x = denominator_lcm(v for x in instance.points for v in x)
        d_y = denominator_lcm(v for y in instance.labels for v in y)
        scale = d_s * d_s * d_x * d_y

        def ints(values: Iterable[Fraction], factor: int) -> tuple[int, ...]:
            return tuple(int(v * factor) for v in values)
        return Scaled(instance, d_s, d_x, d_y, ints(instance.weights, d_s),
                      tuple(ints(x, d_x) for x in instance.points),
                      tuple(ints(y, scale) for y in instance.labels))

    @property
    def scale(self) -> int:
        """L: every output, label and residual is an integer multiple of 1/L."""
        return self.d_s * self.d_s * self.d_x * self.d_y

    @property
    def bias_factor(self) -> int:
        """L·c = bias_factor·c' for an output bias c' = D_S·c."""
        return self.d_s * self.d_x * self.d_y

    @property
    def budget(self) -> int:
        """The largest integer loss Σℓ(r') that keeps the true loss ≤ max_error."""
        gamma = self.instance.max_error
        return math.floor(gamma * (self.scale if self.instance.loss == "absolute" else self.scale ** 2))

    def pre_activation(self, w: tuple[int, ...], b: int, point: int) -> int:
        """z' = D_S·D_x·(w·x_i + b) for scaled weights w' = D_S·w, b' = D_S·b."""
        return sum(wt * xt for wt, xt in zip(w, self.points[point])) + self.d_x * b

    def weight(self, scaled: int) -> Fraction:
        return Fraction(scaled, self.d_s)

    def penalty(self, residual: int) -> int:
        """ℓ(r') for a scaled residual."""
        return abs(residual) if self.instance.loss == "absolute" else residual * residual


@dataclass(frozen=True)
class Outcome:
    """A method's raw answer: a network (not yet certified) for "sat", what it rests on."""

    status: Literal["sat", "unsat", "unknown"]
    network: Network | None = None
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

