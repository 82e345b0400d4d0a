"""Ridge geometry: ramps, chains of touching ramps, and measuring lines at crossings.

Everything is built from *ramps*. A chain has a direction n ∈ Q² (its coordinate is
ξ = n·x) and ramps centred at ξ = start, start + 1, start + 2, …; ramp i carries a value
X_i ∈ [1/2, 2] as its slope s_i = X_i + 1 in ξ, and raises output o by the height
h_io ∈ {−2, 0, 2} over its width 2/s_i (so it is symmetric about its centre). All
breaklines of a chain are parallel lines n·x = κ; adjacent ramps *touch* (the end of ramp
i is the start of ramp i+1, one shared breakline), which forces
    1/s_i + 1/s_{i+1} = 1  ⟺  (s_i − 1)(s_{i+1} − 1) = 1  ⟺  X_i·X_{i+1} = 1,
the inversion relation: values alternate X, 1/X along a chain. A breakline shared by an
output-1 ramp and an output-2 ramp is the "two outputs' shared breakline". A chain of r
ramps uses r + 1 ReLUs: neuron j is relu(n·x − k_j) at the j-th breakline k_j, its column
of A the jump of the slopes there.

Data lines: parallel to the breaklines (direction d ⊥ n), one or two points each, at every ramp
centre (label: heights of the previous ramps plus half of this one), at ξ = first − m,
last + m ("range lines": the function is still flat there, so a ramp is at most 2m wide,
s ≥ 1/m: m = 2/3 gives s ≥ 3/2, i.e. X ≥ 1/2; m = 1/2 pins s ≥ 2) and one unit further
out (so the outer regions are flat). Labels there do not depend on the values. The two
points of a data line lie far apart, on both sides of every crossing of the chain (`far`):
then a breakline through both points of two data lines is nearly parallel to the chain's
breaklines and cannot also serve a chain in another direction. With both points on one
side (τ = anchor, anchor + 1) a diagonal neuron can serve two chains at once, and the copy
claim is false (the gadget checker finds a certified counterexample).

Chains in different directions cross. At a crossing point O where several ramps are
centred, a *measuring line* O + t·e (t ∈ {−1/3, 0, 1/3}) reads the slope of each output
along e, Σ_ramps (h_io/2)·s·(n·e), which the labels fix to a constant κ_o: a copy
(s_a − s_b = 0), an addition (s_x + s_y − s_z = 1 ⟺ X + Y = Z) or a transfer between the
outputs (ramps rising in output 1, in output 2, and one descending in both: s_a − s_c = 0 in
output 1, s_b − s_c = 0 in output 2). |t·(n·e)| ≤ 1/3 keeps
the points inside each ramp (half-width 1/s ≥ 1/3 for s ≤ 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping, Sequence, overload

from etr_nn.exact import Number
from etr_nn.instance import Instance, Shape
from etr_nn.network import Network

Vec = tuple[Fraction, Fraction]
THIRD = Fraction(1, 3)
RANGE = Fraction(2, 3)  # range-line distance: every ramp has s ≥ 3/2
PIN = Fraction(1, 2)  # range-line distance for x = 1: s ≥ 2


def vec(u: int | Fraction, v: int | Fraction) -> Vec:
    return (Fraction(u), Fraction(v))


@overload
def dot(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction: ...
@overload
def dot(a: Sequence[Number], b: Sequence[Number]) -> Number: ...
def dot(a: Sequence[Number], b: Sequence[Number]) -> Number:
    return a[0] * b[0] + a[1] * b[1]


@dataclass(frozen=True)
class Ramp:
    """A ramp carrying variable `var` (or 1/var when `inverse`), heights (h_1, h_2)."""

    var: str
    heights: tuple[int, int]
    inverse: bool = False


@dataclass
class Chain:
    """Touching ramps along direction `normal`, centred at ξ = start + i; data lines at τ = anchor."""

    name: str
    normal: Vec
    start: Fraction
    ramps: list[Ramp]
    margins: tuple[Fraction, Fraction] = (RANGE, RANGE)
    anchor: Fraction = Fraction(0)
    line_points: int = 2
    far: Fraction | None = None  # if set: each data line's points at τ = anchor and τ = far

    @property
    def direction(self) -> Vec:
        """d ⊥ n: the direction of the breaklines and data lines."""
        return (-self.normal[1], self.normal[0])

    def at(self, xi: Fraction, tau: Fraction) -> Vec:
        """The point with chain coordinate ξ = n·x and offset τ along d."""
        n, d = self.normal, self.direction
        nn = dot(n, n)
        return (xi * n[0] / nn + tau * d[0], xi * n[1] / nn + tau * d[1])

    def centre(self, i: int) -> Fraction:
        return self.start + i

    @property
    def zone(self) -> tuple[Fraction, Fraction]:
        """The open ξ-interval where the chain's value-dependent breaklines can lie."""
        return self.start - self.margins[0], self.centre(len(self.ramps) - 1) + self.margins[1]

    def lines(self) -> list[Fraction]:
        lo, hi = self.zone
        return [lo - 1, lo] + [self.centre(i) for i in range(len(self.ramps))] + [hi, hi + 1]

    def offsets(self) -> list[Fraction]:
        """The τ of each data line's points: anchor, anchor + 1, … or the two far-apart anchor, far."""
        if self.far is not None:
            return [self.anchor, self.far]
        return [self.anchor + t for t in range(self.line_points)]

    def points(self) -> list[Vec]:
        return [self.at(xi, t) for xi in self.lines() for t in self.offsets()]

    def slopes(self, values: Mapping[str, Number]) -> list[Number]:
        out = []
        for r in self.ramps:
            x = values[r.var]
            out.append((1 / x if r.inverse else x) + 1)
        return out

    def neurons(self, values: Mapping[str, Number]) -> list[tuple[Vec, Number, tuple[Number, Number]]]:
        """(w, b, column of A) per breakline, for the given values (touching is assumed)."""
        s = self.slopes(values)
        kinks = [self.centre(0) - 1 / s[0]] + [self.centre(i) + 1 / s[i] for i in range(len(s))]
        slope = [(Fraction(0), Fraction(0))] + [(h[0] * si / 2, h[1] * si / 2) for h, si in
                                                 zip((r.heights for r in self.ramps), s)] + \
                [(Fraction(0), Fraction(0))]
        return [(self.normal, -k, (slope[j + 1][0] - slope[j][0], slope[j + 1][1] - slope[j][1]))
                for j, k in enumerate(kinks)]


@dataclass(frozen=True)
class Measure:
    """A measuring line through `origin` along `e`: each output's slope along e is `kappa`."""

    origin: Vec
    e: Vec
    kappa: tuple[Fraction, Fraction]
    ramps: tuple[tuple[str, int], ...]  # (chain name, ramp index) centred at origin
    label: str = ""

    def points(self) -> list[Vec]:
        return [(self.origin[0] + t * self.e[0], self.origin[1] + t * self.e[1]) for t in (-THIRD, 0, THIRD)]


@dataclass
class Layout:
    """Chains and measuring lines: the geometry of a training instance with 2 inputs, 2 outputs."""

    chains: list[Chain]
    measures: list[Measure] = field(default_factory=list)

    def chain(self, name: str) -> Chain:
        return next(c for c in self.chains if c.name == name)

    def network(self, values: Mapping[str, Number]) -> Network:
        """The exact network of the intended fit for the given values (c = 0)."""
        cols = [n for c in self.chains for n in c.neurons(values)]
        return Network.build([list(w) for w, _, _ in cols], [b for _, b, _ in cols],
                             [[a[o] for _, _, a in cols] for o in range(2)], [0, 0])

    def nominal(self) -> Network:
        """The intended fit with every value 1 (all slopes 2): it fixes the labels off the crossings."""
        names = {r.var for c in self.chains for r in c.ramps}
        return self.network({v: Fraction(1) for v in names})

    def instance(self, name: str) -> Instance:
        """The data: chain data lines labelled by the nominal fit, measuring lines by f(O) + t·κ."""
        self.validate()
        net = self.nominal()
        data: dict[Vec, tuple[Fraction, ...]] = {}
        for c in self.chains:
            for p in c.points():
                data[p] = tuple(net(p))  # type: ignore[arg-type]
        for m in self.measures:
            base = net(m.origin)
            for t, p in zip((-THIRD, Fraction(0), THIRD), m.points()):
                label = tuple(base[o] + t * m.kappa[o] for o in range(2))
                if data.setdefault(p, label) != label:  # type: ignore[arg-type]
                    raise ValueError(f"point {p} ({m.label}) gets two different labels")
        hidden = sum(len(c.ramps) + 1 for c in self.chains)
        return Instance(name, Shape(2, hidden, 2), tuple(data), tuple(data.values()))

    def conflicts(self, chain: Chain) -> list[str]:
        """Data points of `chain` that another chain's value-dependent zone could reach."""
        return [f"data line of {chain.name} at {p} lies in the zone of {other.name}"
                for p in chain.points() for other in self.chains
                if other is not chain and _reaches(other, p)]

    def validate(self) -> None:
        """Every data point's labels are independent of the values: a point lies in another
        chain's zone only on one of its ramp centres, and a measuring point lies within 1/3
        of the centres of exactly its designated ramps."""
        problems = [q for c in self.chains for q in self.conflicts(c)]
        for m in self.measures:
            designed = dict(m.ramps)
            for p in m.points():
                for other in self.chains:
                    if other.name in designed:
                        if abs(dot(other.normal, p) - other.centre(designed[other.name])) > THIRD:
                            problems.append(f"measuring point {p} ({m.label}) is off its ramp in {other.name}")
                    elif _reaches(other, p):
                        problems.append(f"measuring point {p} ({m.label}) lies in the zone of {other.name}")
        if problems:
            raise ValueError("; ".join(problems))


def _reaches(chain: Chain, p: Vec) -> bool:
    """Can the chain's breaklines pass through p's neighbourhood, making f(p) value-dependent?"""
    xi = dot(chain.normal, p)
    lo, hi = chain.zone
    return lo < xi < hi and xi not in {chain.centre(i) for i in range(len(chain.ramps))}


def slope(network: Network, point: Vec, direction: Vec, output: int, delta: Fraction = THIRD) -> Number:
    """(f_o(p + δ·d) − f_o(p − δ·d)) / 2δ, exactly: the slope of output o across p along d."""
    plus = (point[0] + delta * direction[0], point[1] + delta * direction[1])
    minus = (point[0] - delta * direction[0], point[1] - delta * direction[1])
    return (network(plus)[output] - network(minus)[output]) / (2 * delta)
