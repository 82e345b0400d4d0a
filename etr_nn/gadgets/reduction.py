"""ETR-INV → zero-error training of a two-layer ReLU network with 2 inputs and 2 outputs.

Layout (see etr_nn.gadgets.geometry for ramps, chains and measuring lines), coordinates
x = (u, v); every chain and crossing is one of the gadgets of etr_nn.gadgets.library:
- variable: each variable x has a vertical chain U_x (n = (1, 0), centres u = 100·i,
  100·i + 1): two touching ramps carrying x in output 1 and 1/x in output 2 (the link
  gadget). The value of x is the slope s_x = x + 1 of output 1 across ramp 0. Range lines
  at distance 2/3 give x ≥ 1/2 and 1/x ≥ 1/2, i.e. x ∈ [1/2, 2]; for `x = 1` (and for
  x·x = 1, equivalent on [1/2, 2]) they are at 1/2, which pins x ≥ 1 and 1/x ≥ 1.
- x·y = 1: a horizontal chain V (n = (0, 1), one output-2 ramp, centre
  v = 200·(#variables + 1)·(k + 1) + 1/7 for the k-th constraint) carrying y: where V
  crosses U_y's ramp 0, a diagonal chain T (n = (1/2, 1/2), one ramp descending in both
  outputs) is centred too, and a measuring line along (1, 1) reads s_y − s_T = 0 in output 1,
  s_V − s_T = 0 in output 2 (the transfer gadget: y moves from output 1 to output 2). V then
  crosses U_x's ramp 1, which carries 1/x in output 2: a measuring line along (1, −1) reads
  s_{1/x} − s_V = 0, so y = 1/x.
- x + y = z: a horizontal chain V copied from U_y (one output-1 ramp; measuring line along
  (1, −1): s_y − s_V = 0), a diagonal chain W (n = (1/2, 1/2), one descending output-1
  ramp) copied from U_z (measuring along (1, 1): s_z − s_W = 0), and at the point where
  U_x's ramp 0, V and W are all centred, a measuring line along (1, 1) with slope
  s_x + s_V − s_W = 1, i.e. x + y = z (the addition gadget).
Data lines sit where no other chain's breaklines can be (`Layout.validate` checks it), each
with its two points far apart, beyond every crossing (geometry: a diagonal neuron cannot
serve two chains).
One ReLU per breakline: a chain of r ramps uses r + 1; no other ReLUs.

Why no chain has more than two ramps: data lie only at ramp centres and outside a chain's
ends, so a chain of r touching ramps has about r − 1 free parameters (per output an affine
part, per breakline a position and two jumps: 3r + 7 unknowns; r + 4 data lines, two labels
each), not the one value it should carry. The former variable chain (four ramps: x, 1/x, x,
1/x in outputs 1, 2, 1+2, 1) has fits whose ramps overlap (tests/test_gadgets.py), and the
reduction built on it had certified rational fits of the √2 instance and fits of
unsatisfiable formulas' reductions.

What is guaranteed: soundness, by construction and checked exactly — for any solution of
the formula, `lift` builds the network of the intended fit and etr_nn.certify verifies
zero error. Completeness (every zero-error fit encodes a solution) rests on each chain and
crossing being used as drawn (the ReLU budget equals the number of breaklines drawn);
each gadget's relation is proved on its own instance by the gadget checker
(etr_nn.gadgets.library) except the transfer's (open after 40 minutes); the composition is
not proved. `decode` reads the values from any fit (exact differences of outputs) and
`holds` re-checks them against the formula, so every decoded answer is checked.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping

from etr_nn.certify import certify
from etr_nn.errors import InputError
from etr_nn.exact import Number
from etr_nn.gadgets.etrinv import Constraint, Formula
from etr_nn.gadgets.geometry import PIN, RANGE, Chain, Layout, Measure, Ramp, dot, slope, vec
from etr_nn.instance import Instance
from etr_nn.network import Network

SPACING = 100
U, V, W = vec(1, 0), vec(0, 1), vec(Fraction(1, 2), Fraction(1, 2))
COPY_UV, SUM = vec(1, -1), vec(1, 1)


def layout(formula: Formula) -> Layout:
    """The chains and measuring lines of the reduction (positions as in the module docstring)."""
    names = formula.variables
    index = {x: i for i, x in enumerate(names)}
    pinned = {c.names[0] for c in formula.constraints if _pins(c)}
    measures: list[Measure] = []

    def u0(x: str) -> Fraction:
        return Fraction(SPACING * index[x])

    chains = [Chain(f"U_{x}", U, u0(x), [Ramp(x, (2, 0)), Ramp(x, (0, 2), True)], (PIN, PIN) if x in pinned else (RANGE, RANGE))
              for x in names]

    def carried_to_v(y: str, k: int, heights: tuple[int, int]) -> Chain:
        """V_k carrying y from U_y's ramp 0 (output 1): by a copy, or a transfer to output 2."""
        origin = vec(u0(y), Fraction(2 * SPACING * (len(names) + 1) * (k + 1)) + Fraction(1, 7))
        chain = Chain(f"V{k}_{y}", V, origin[1], [Ramp(y, heights)])
        chains.append(chain)
        if heights == (2, 0):
            measures.append(Measure(origin, COPY_UV, (Fraction(0), Fraction(0)),
                                    ((f"U_{y}", 0), (chain.name, 0)), f"copy {y}: U→V{k}"))
        else:
            middle = Chain(f"T{k}_{y}", W, dot(W, origin), [Ramp(y, (-2, -2))])
            chains.append(middle)
            measures.append(Measure(origin, SUM, (Fraction(0), Fraction(0)),
                                    ((f"U_{y}", 0), (chain.name, 0), (middle.name, 0)), f"transfer {y}: U→V{k}"))
        return chain

    for k, c in enumerate(formula.constraints):
        if _pins(c):
            continue
        if c.kind == "inv":
            x, y = c.names
            vchain = carried_to_v(y, k, (0, 2))
            measures.append(Measure(vec(u0(x) + 1, vchain.start), COPY_UV, (Fraction(0), Fraction(0)),
                                    ((f"U_{x}", 1), (vchain.name, 0)), f"{x}·{y} = 1"))
        elif c.kind == "add":
            x, y, z = c.names
            vchain = carried_to_v(y, k, (2, 0))
            origin = vec(u0(x), vchain.start)
            wchain = Chain(f"W{k}_{z}", W, dot(W, origin), [Ramp(z, (-2, 0))])
            chains.append(wchain)
            # W crosses U_z's centre line u = u0(z) at v = 2·start − u0(z).
            measures.append(Measure(vec(u0(z), 2 * wchain.start - u0(z)), SUM, (Fraction(0), Fraction(0)),
                                    ((f"U_{z}", 0), (wchain.name, 0)), f"copy {z}: U→W{k}"))
            measures.append(Measure(origin, SUM, (Fraction(1), Fraction(0)),
                                    ((f"U_{x}", 0), (vchain.name, 0), (wchain.name, 0)), f"{x} + {y} = {z}"))
    result = Layout(chains, _merge(measures))
    _place_anchors(result)
    return result


def _pins(c: Constraint) -> bool:
    """x = 1, or x·x = 1 (the same on [1/2, 2]): U_x's range lines at 1/2, no crossing."""
    return c.kind == "one" or c.kind == "inv" and c.names[0] == c.names[1]


def _merge(measures: list[Measure]) -> list[Measure]:
    """x + x = z puts a copy and the addition at one point: both lines stay (different e)."""
    seen: dict[tuple[object, object], Measure] = {}
    for m in measures:
        seen.setdefault((m.origin, m.e), m)
    return list(seen.values())


def _place_anchors(lay: Layout) -> None:
    """Put each chain's data lines at the first offset τ where no other chain can reach them,
    their second points at the first such τ beyond every crossing, on the other side (far)."""
    extent = 10 + max((abs(a) for m in lay.measures for a in m.origin), default=Fraction(0))
    for chain in lay.chains:
        chain.anchor = next((Fraction(t) for t in sorted(range(-994, 1000, 7), key=abs)
                             if not lay.conflicts(_at(chain, t))), chain.anchor)
        side = 1 if chain.anchor <= 0 else -1
        chain.far = next((far for i in range(1000) if not lay.conflicts(_at(chain, chain.anchor, far := side * (2 * extent + 7 * i)))),
                         None)
        if chain.far is None or lay.conflicts(chain):
            raise AssertionError(f"no free place for the data lines of {chain.name}")
    lay.validate()


def _at(chain: Chain, tau: int | Fraction, far: Fraction | None = None) -> Chain:
    chain.anchor, chain.far = Fraction(tau), far
    return chain


def reduce(formula: Formula, name: str = "etr-inv") -> Instance:
    """The training instance: 2 inputs, 2 outputs, one ReLU per drawn breakline, error 0."""
    return layout(formula).instance(name)


def lift(formula: Formula, values: Mapping[str, Number]) -> Network:
    """The exact zero-error network for a solution of the formula, certified exactly."""
    if not formula.holds(values):
        raise InputError("the values do not satisfy the formula (with every variable in [1/2, 2])")
    lay = layout(formula)
    network = lay.network(values)
    check = certify(lay.instance("lift"), network)
    if not check.valid:
        raise AssertionError(f"lifted network fails certification: {check.problems}")
    return network


def decode(formula: Formula, network: Network) -> dict[str, Number]:
    """Each variable's value read from a network: x = s − 1, s = the exact slope of output 1
    across U_x's ramp 0 (differences of outputs at its centre ± 1/3)."""
    lay = layout(formula)
    out = {}
    for x in formula.variables:
        chain = lay.chain(f"U_{x}")
        out[x] = slope(network, chain.at(chain.centre(0), chain.anchor), U, 0) - 1
    return out
