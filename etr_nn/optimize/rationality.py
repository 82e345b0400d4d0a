"""Does an instance have a rational fit (loss ≤ max_error), or a rational optimal network?

The reasoning, case by case:

- finite weight sets are rational by definition; one output: fact 3 — the optimum is
  attained by a rational network (`etr_nn.optimize.convex` exhibits it), so a fit exists
  iff a rational one does.
- two or more outputs, loss bound γ > 0 above the optimum L*: the networks with loss < γ
  form a nonempty open set of weights (the loss is continuous), which contains rational
  points: rounding an optimal network finely enough gives one.
- a fit whose loss must equal its bound (γ = 0, or γ = L*): on every piece of
  `etr_nn.optimize.hidden` the fits are {N = γ·D, D > 0, cell}. A rational network is a
  rational point of some piece's set: its chart coordinates are rational (divide by the
  rational |w_jp|), and a rank drop is removed by absorbing a dependent column with
  rational coefficients (a narrower rational network with the same outputs). Conversely
  a rational point gives a rational network (exact least squares). So the CAD's cells of
  each piece's set decide it when they are points: all irrational ⇒ no rational fit.
- for the optimum: an irrational optimal loss already excludes a rational optimal network
  (a rational network has a rational loss).
- an instance written by `etr-nn reduce` (it carries its ETR-INV formula; checked to be
  exactly the formula's reduction): a rational solution of the formula lifts to a certified
  rational fit. Nothing negative is read off the formula: that every zero-error fit decodes
  to a solution (the reduction's completeness) is proved gadget by gadget
  (`etr-nn gadget check`), not for the composed instance — and an earlier layout failed
  there (certified rational fits of its √2 instance decoding to x = 1/2, z = 1; see
  etr_nn.gadgets.reduction) — so otherwise the instance is decided as any other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

from etr_nn.deadline import Deadline
from etr_nn.cad import cells
from etr_nn.cad.projection import Timeout
from etr_nn.certify import certify
from etr_nn.exact import Number, RealAlgebraic
from etr_nn.gadgets import etrinv, reduction
from etr_nn.gadgets.etrinv import Formula
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.optimize import optimize
from etr_nn.optimize.hidden import pieces
from etr_nn.optimize.landscape import constant_loss, constant_network, describe, remaining
from etr_nn.solve import solve


@dataclass
class Rationality:
    """status: "rational" (with a certified rational `network`), "no rational fit",
    "no fit" (not even a real one), or "unknown"; `reasons`: what the answer rests on."""

    instance: str
    status: str
    network: Network | None = None
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0


def rationality(instance: Instance, timeout: float | None = None, optimum: bool = False,
                formula: Formula | None = None, progress: bool = False) -> Rationality:
    """Is there a rational network with loss ≤ max_error (with `optimum`: with the optimal
    loss)? `formula`: the ETR-INV formula the instance is the reduction of, if any. `progress`:
    the bars of the optimum's and the fit's searches (etr_nn.progress)."""
    start = time.monotonic()
    deadline = Deadline.after(timeout)
    try:
        answer = (_reduced(instance, formula) if formula is not None else None) \
            or _decide(instance, deadline, optimum, progress)
    except Timeout:
        answer = Rationality(instance.name, "unknown", reasons=["time limit"])
    if answer.network is not None and not (answer.network.is_rational() and answer.network.shape == instance.shape
                                           and (optimum or certify(instance, answer.network).valid)):
        answer = Rationality(instance.name, "unknown", reasons=["the rational network failed the exact check"])
    answer.seconds = time.monotonic() - start
    return answer


def _decide(instance: Instance, deadline: Deadline, optimum: bool, progress: bool) -> Rationality:
    name = instance.name
    if instance.weights is not None:
        return Rationality(name, "unknown", reasons=["finite weight sets are rational: use `solve`"])
    if instance.shape.outputs >= 2 and not optimum and instance.max_error == 0:
        return _zero_error(instance, deadline, progress)
    best = optimize(instance, remaining(deadline), progress)
    if best.status == "unknown":
        return Rationality(name, "unknown", reasons=[f"the optimum is unknown: {'; '.join(best.rests_on)}"])
    assert best.value is not None
    if instance.shape.outputs == 1:
        assert best.network is not None
        if not optimum and best.value > instance.max_error:
            return Rationality(name, "no fit", reasons=[f"the optimal loss {best.value} exceeds max_error"])
        return Rationality(name, "rational", best.network,
                           [f"one output (fact 3): the optimal network is rational, loss {best.value}"])
    target = best.value if optimum else instance.max_error
    if best.value > target or (best.value == target and best.status == "not attained"):
        return Rationality(name, "no fit", reasons=[f"the optimal loss {best.value} exceeds max_error"
                                                    if best.value > target else "the infimum is not attained"])
    if best.network is not None and best.network.is_rational():
        return Rationality(name, "rational", best.network, [f"an optimal network is rational (loss {best.value})"])
    if not isinstance(target, Fraction):
        return Rationality(name, "no rational fit", reasons=[
            f"the optimal loss {target} is irrational (degree {target.degree}): a rational network has a "  # type: ignore[union-attr]
            "rational loss"])
    if best.value < target:
        assert best.network is not None
        return Rationality(name, "rational", _rounded(instance, best.network),
                           [f"max_error {target} is above the optimum {best.value}: the networks with loss < "
                            "max_error form an open set; a rounding of an optimal network lies in it"])
    return _level_set(instance, target, deadline)


def _zero_error(instance: Instance, deadline: Deadline, progress: bool) -> Rationality:
    """Zero-error fits with two or more outputs: the search engine decides whether there is
    one; an irrational one sends the question to the pieces."""
    found = solve(instance, timeout=remaining(deadline), workers=1, progress=progress)
    if found.status == "unsat":
        return Rationality(instance.name, "no fit", reasons=[f"no fit at all: {found.rests_on}"])
    if found.status == "unknown":
        return Rationality(instance.name, "unknown", reasons=[f"the search found no fit: {found.rests_on}"])
    assert found.network is not None
    if found.network.is_rational():
        return Rationality(instance.name, "rational", found.network, [f"found by the search: {found.rests_on}"])
    return _level_set(instance, Fraction(0), deadline)


def _reduced(instance: Instance, formula: Formula) -> Rationality | None:
    """The lift of a rational solution of the formula the instance is the reduction of (a rational
    zero-error fit, so also a rational optimal network), or None."""
    if reduction.reduce(formula, instance.name) != instance:
        return Rationality(instance.name, "unknown", reasons=["the instance is not the reduction of the formula it carries"])
    found = etrinv.rational_solutions(formula)
    if not found:
        return None
    return Rationality(instance.name, "rational", reduction.lift(formula, found[0]),
                       [f"the lift of the formula's rational solution {_values(found[0])}"])


def _values(values: Mapping[str, Number]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items())


def _level_set(instance: Instance, level: Fraction, deadline: Deadline) -> Rationality:
    """Rational points of {loss = level} (the minimum), piece by piece, with the CAD."""
    name = instance.name
    if constant_loss(instance) == level:
        return Rationality(name, "rational", constant_network(instance), ["the constant network attains it"])
    reasons, open_pieces = [], []
    counted = 0
    for width in range(1, instance.shape.hidden + 1):
        for piece in pieces(instance, width):
            system = piece.level_system(level)
            if system is None:
                continue
            counted += 1
            found = cells(system, None, remaining(deadline))
            rational = next((c for c in found if all(isinstance(v, Fraction) for v in c.sample.values())), None)
            if rational is not None:
                network = piece.network(rational.sample, instance.shape.hidden)
                return Rationality(name, "rational", network, [f"a rational point on piece {describe(piece)}"])
            if any(c.dimension > 0 for c in found):
                open_pieces.append(describe(piece))
            elif found:
                reasons.append(f"piece {describe(piece)}: {len(found)} point(s), each with an irrational "
                               f"coordinate ({_witness(found[0].sample)})")
    if open_pieces:
        return Rationality(name, "unknown", reasons=[f"positive-dimensional fits without a rational sample on "
                                                     f"{len(open_pieces)} piece(s), e.g. {open_pieces[0]}"])
    if not reasons:
        return Rationality(name, "no fit", reasons=[f"{counted} piece(s): no network reaches loss {level}"])
    return Rationality(name, "no rational fit", reasons=[
        f"{counted} piece(s) (chart × closed dichotomy per neuron, all widths ≤ {instance.shape.hidden}): "
        "the fits, modulo positive scaling, are finitely many points, none rational"] + reasons)


def _witness(sample: dict[str, Number]) -> str:
    name, value = next((n, v) for n, v in sample.items() if isinstance(v, RealAlgebraic))
    return f"{name} = {value}"


def _rounded(instance: Instance, network: Network) -> Network:
    """Round every weight to a rational at finer and finer precision until the loss is ≤
    max_error (terminates: the loss is continuous and below max_error at the network)."""
    digits = 2
    while True:
        scale = 10 ** digits
        candidate = Network.build([[_round(v, scale) for v in row] for row in network.W],
                                  [_round(v, scale) for v in network.b],
                                  [[_round(v, scale) for v in row] for row in network.A],
                                  [_round(v, scale) for v in network.c])
        if certify(instance, candidate).valid:
            return candidate
        digits += 2


def _round(value: Number, scale: int) -> Fraction:
    if isinstance(value, Fraction):
        return value
    lo, _ = value.refine(Fraction(1, scale * scale)).interval
    return Fraction(round(lo * scale), scale)
