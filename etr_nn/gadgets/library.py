"""The gadget library: each gadget of the reduction as a small stand-alone instance with
the claims its role in the reduction rests on (checked by etr_nn.gadgets.checker).

All gadgets use the ridge geometry of etr_nn.gadgets.geometry (u horizontal, v vertical;
probes on the data lines' level v = 0 unless said otherwise):

- variable: one output-1 ramp across vertical data lines at u = −5/3, −2/3 (label (0, 0)),
  0 (label (1, 0)), 2/3, 5/3 (label (2, 0)), one point per line (v = 0); 2 ReLUs.
  Claims: the ramp is symmetric about u = 0 (f1(−1/3,0) + f1(1/3,0) = 2), its slope
  s = (3/2)·(f1(1/3,0) − f1(−1/3,0)) is at least 3/2 (the value x = s − 1 ≥ 1/2, read
  between the probes; the range lines make it at most 4/3 wide), and output 2 stays 0.
- link (inversion): touching ramps, output 1 centred at u = 0, output 2 centred at u = 1
  (data lines as above, plus u = 1 labelled (2, 1)); 3 ReLUs, the middle breakline shared
  by both outputs. Claim: s_1·s_2 = s_1 + s_2 (⟺ X·Y = 1), s_i read as 3·(difference of the
  output at the centre and 1/3 inwards).
- copy: a vertical output-1 ramp (centre u = 0, data lines with points at v = −10 and
  v = 10) and a horizontal one (centre v = 0, data lines with points at u = 10 and
  u = −10) crossing at the origin, measuring line (t, −t), t ∈ {−1/3, 0, 1/3}; 4 ReLUs.
  Claim: the slopes read on the two chains' own data lines (at v = −10, u = −10), away
  from the crossing, are equal.
- addition: vertical, horizontal and descending diagonal output-1 ramps centred at the
  origin (the diagonal one's data lines at τ = ±20), measuring line (t, t) with slope 1;
  6 ReLUs. Claim: s_x + s_y − s_z = 1 with each slope read on its chain's own data lines.
- transfer: a vertical output-1 ramp, a horizontal output-2 ramp and a diagonal ramp descending
  in both outputs (data lines at τ = ±20), centred at the origin, measuring line (t, t) with
  slope 0 in both outputs; 6 ReLUs. Claim: s_x read in output 1 on the vertical chain's data
  lines equals s_x read in output 2 on the horizontal one's (x·y = 1 needs y in output 2).

Status with the pattern-by-pattern checker (etr_nn.gadgets.patterns with kink covering;
one process, measured alone on a 2-core machine). Re-checked after the checker stopped reading
probe points as data labelled 0 (its rank-one test had pruned real fits, so claims at probes
between data points could be "proved" falsely): all four relations still hold, at the times
below (addition: 242 s wall beside another job); each "proved" also passes the last gate
(etr_nn.gadgets.checker.gated).
- variable: all three claims proved in the default tests (about 0.1 s each; every partial
  pattern refuted by the exact simplex with ¬claim, no full pattern reached).
- link: X·Y = 1 proved (about 4–8 s): 84 full activation patterns survive the simplex and
  each rank-one system with ¬claim is refuted by nlsat; data and probes are collinear, so
  the check runs in one input coordinate.
- copy: proved (about 4 s; ~20,000 partial patterns refuted by kink covering, ~2,700 by the
  simplex with ¬claim, no full pattern reached). With both points of each data line on one
  side of the crossing (τ = anchor, anchor + 1, the former layout) the claim is false: the
  checker returns a certified fit whose neurons serve both chains (about 16 s).
- addition: proved in about 155 s of CPU time (`etr-nn gadget check`; 504,162 partial
  patterns refuted by kink covering, 168,934 by the simplex with ¬claim, no full pattern
  reached; all but one of the 7 orthant choices die at once, 3 + / 3 − is the work); with a
  checkable proof (--certificate) 660 s, and `etr-nn verify` re-checks it in 179 s: a slow
  test. Wrong claims (s_x = s_y; x + y = z + 1/2) are refuted in about a second.
- transfer: NOT proved yet — unknown after 2400 s (5,883,152 partial patterns refuted by kink
  covering, 162,894 by the simplex with ¬claim, 24,540 full patterns reached, each refuted by
  nlsat with ¬claim; the claim mentions both outputs, so no output is dropped and full patterns
  are reached, unlike the addition's). With kink covering joint over the outputs: unknown after
  2400 s again (103,949 / 123,256 / 30,329; 15 of its 84 orthant choices outlast 20 s each, the
  other 69 end within 0.2 s); with the leaves to linear elimination first (cad+z3) and two
  processes (`--workers 2`), unknown after 2400 s (427,976 / 414,296 / 99,810). No refuting fit was found; a wrong claim (s_x = 2) is
  refuted in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from etr_nn.gadgets.claims import Claim, parse_claim
from etr_nn.gadgets.geometry import Chain, Layout, Measure, Ramp, vec
from etr_nn.instance import Instance

U, V, W = vec(1, 0), vec(0, 1), vec(Fraction(1, 2), Fraction(1, 2))


@dataclass
class Gadget:
    name: str
    layout: Layout
    claims: list[str]
    values: dict[str, Fraction]  # a sample assignment for the intended fit (lift + certify)

    def instance(self) -> Instance:
        return self.layout.instance(self.name)

    def parsed_claims(self) -> list[Claim]:
        return [parse_claim(c) for c in self.claims]


def _slope(o: int, a: str, b: str) -> str:
    """The slope of output o from point a to point b, 1/3 apart along the ramp's normal."""
    return f"(3*(f{o}({b}) - f{o}({a})))"


def variable() -> Gadget:
    lay = Layout([Chain("U_x", U, Fraction(0), [Ramp("x", (2, 0))], line_points=1)])
    s = "(3/2*(f1(1/3, 0) - f1(-1/3, 0)))"
    return Gadget("variable", lay, ["f1(-1/3, 0) + f1(1/3, 0) = 2", f"{s} >= 3/2", "f2(1/3, 0) = 0"],
                  {"x": Fraction(1)})


def link() -> Gadget:
    lay = Layout([Chain("U_xy", U, Fraction(0), [Ramp("x", (2, 0)), Ramp("x", (0, 2), True)], line_points=1)])
    s1, s2 = _slope(1, "-1/3, 0", "0, 0"), _slope(2, "1, 0", "4/3, 0")
    return Gadget("link", lay, [f"{s1}*{s2} = {s1} + {s2}"], {"x": Fraction(3, 2)})


def copy() -> Gadget:
    a = Chain("U_x", U, Fraction(0), [Ramp("x", (2, 0))], anchor=Fraction(-10), far=Fraction(10))
    b = Chain("V_x", V, Fraction(0), [Ramp("x", (2, 0))], anchor=Fraction(10), far=Fraction(-10))
    lay = Layout([a, b], [Measure(vec(0, 0), vec(1, -1), (Fraction(0), Fraction(0)), (("U_x", 0), ("V_x", 0)))])
    # slopes read on each chain's own data lines, far from the crossing
    return Gadget("copy", lay, [f"{_slope(1, '0, -10', '1/3, -10')} = {_slope(1, '-10, 0', '-10, 1/3')}"],
                  {"x": Fraction(3, 2)})


def addition() -> Gadget:
    a = Chain("U_x", U, Fraction(0), [Ramp("x", (2, 0))], anchor=Fraction(-10), far=Fraction(10))
    b = Chain("V_y", V, Fraction(0), [Ramp("y", (2, 0))], anchor=Fraction(10), far=Fraction(-10))
    c = Chain("W_z", W, Fraction(0), [Ramp("z", (-2, 0))], anchor=Fraction(20), far=Fraction(-20))
    lay = Layout([a, b, c], [Measure(vec(0, 0), vec(1, 1), (Fraction(1), Fraction(0)),
                                     (("U_x", 0), ("V_y", 0), ("W_z", 0)))])
    # slopes read on each chain's own data lines, far from the crossing; W descends by
    # s_z per unit of (u + v)/2
    sx, sy = _slope(1, "0, -10", "1/3, -10"), _slope(1, "-10, 0", "-10, 1/3")
    sz = _slope(1, "-29/3, 31/3", "-10, 10")
    return Gadget("addition", lay, [f"{sx} + {sy} - {sz} = 1"],
                  {"x": Fraction(1, 2), "y": Fraction(1, 2), "z": Fraction(1)})


def transfer() -> Gadget:
    a = Chain("U_x", U, Fraction(0), [Ramp("x", (2, 0))], anchor=Fraction(-10), far=Fraction(10))
    b = Chain("V_x", V, Fraction(0), [Ramp("x", (0, 2))], anchor=Fraction(10), far=Fraction(-10))
    c = Chain("W_x", W, Fraction(0), [Ramp("x", (-2, -2))], anchor=Fraction(20), far=Fraction(-20))
    lay = Layout([a, b, c], [Measure(vec(0, 0), vec(1, 1), (Fraction(0), Fraction(0)),
                                     (("U_x", 0), ("V_x", 0), ("W_x", 0)))])
    # output 1's slope on U's data lines, output 2's on V's, far from the crossing
    return Gadget("transfer", lay, [f"{_slope(1, '0, -10', '1/3, -10')} = {_slope(2, '-10, 0', '-10, 1/3')}"],
                  {"x": Fraction(3, 2)})


GADGETS: dict[str, Callable[[], Gadget]] = {"variable": variable, "link": link, "copy": copy,
                                            "addition": addition, "transfer": transfer}
