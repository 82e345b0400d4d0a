"""The gadget checker: does every zero-error fit of an instance satisfy a claim?

A claim C is proved when "fits ∧ ¬C" is unsatisfiable. "fits" is the direct encoding
(etr_nn.encode.direct); each probe point x of the claim adds hidden variables
q_{x,j} = relu(w_j·x + b_j) with the same case split and no label, and the output value
f_o(x) = Σ_j a_oj·q_{x,j} + c_o. A satisfying point of "fits ∧ ¬C" is turned into a network,
certified exactly (etr_nn.certify) and the claim evaluated on it exactly: only then is C
reported refuted, with that network as the counterexample.

Symmetries. The direct encoding can normalise (columns of A of max-norm 1, biases sorted);
claims over outputs f_o(x) are invariant under those symmetries, claims over weights are
not. The checker always uses the encoding *without* normalisation (every weight free), so
"proved" means every fitting network satisfies the claim, whatever it mentions. It is also
much faster for Z3 here: on the 2-ReLU variable gadget, 0.04 s against 16 s with the
normalisation's disjunctions (measured).
"""

from __future__ import annotations

import time
from itertools import combinations_with_replacement
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import flint

from etr_nn import backends
from etr_nn.certify import certify
from etr_nn.encode.direct import Case, encode
from etr_nn.exact import Number
from etr_nn.gadgets.claims import NEGATION, Claim, Symbol, check_against, lookup_in
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.poly import And, Atom, Formula, Or, System
from etr_nn.solution import Solution

Verdict = Literal["proved", "refuted", "unknown"]
WHOLE_FIRST = 10.0  # seconds for the unsplit formula before splitting by activation patterns


@dataclass
class ClaimResult:
    """The verdict on one claim; `counterexample` (certified) and `value` only with "refuted"."""

    claim: Claim
    verdict: Verdict
    reason: str
    counterexample: Network | None = None
    value: Number | None = None  # lhs − rhs on the counterexample
    seconds: float = 0.0


@dataclass
class Report:
    results: list[ClaimResult]
    fits: Solution | None = field(default=None)  # does any zero-error fit exist?

    @property
    def proved(self) -> bool:
        return all(r.verdict == "proved" for r in self.results)


def _extend(formula: Formula, ctx: flint.fmpq_mpoly_ctx, extra: int) -> Formula:
    """The same formula over a context with `extra` more variables (appended)."""
    if isinstance(formula, Atom):
        poly = ctx.from_dict({exp + (0,) * extra: c for exp, c in formula.poly.to_dict().items()})
        return Atom(poly, formula.rel)
    kind = And if isinstance(formula, And) else Or
    return kind(tuple(_extend(f, ctx, extra) for f in formula.args))


def negated_system(instance: Instance, case: Case, claim: Claim) -> System:
    """fits (this case) ∧ probes ∧ ¬claim, over the case's variables and the probe variables."""
    d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs
    probes = claim.probes()
    old = case.system.names
    extra = [f"q_{p}_{j}" for p in range(len(probes)) for j in range(k)]
    ctx = flint.fmpq_mpoly_ctx.get(tuple(old) + tuple(extra), "lex")
    var = dict(zip(ctx.names(), ctx.gens()))
    one = ctx.from_dict({(0,) * ctx.nvars(): 1})

    def const(v: Fraction) -> flint.fmpq_mpoly:
        return one * flint.fmpq(v.numerator, v.denominator)

    def a(o: int, j: int) -> flint.fmpq_mpoly:
        return const(Fraction(case.signs[j])) if case.signs else var[f"a_{o}_{j}"]

    parts: list[Formula] = [_extend(case.system.formula, ctx, len(extra))]
    value: dict[Symbol, flint.fmpq_mpoly] = {}
    for p, x in enumerate(probes):
        for j in range(k):
            z = var[f"b_{j}"] + sum((var[f"w_{j}_{t}"] * const(x[t]) for t in range(d)), ctx.from_dict({}))
            q = var[f"q_{p}_{j}"]
            parts.append(Or((And((Atom(z, ">="), Atom(q - z, "="))), And((Atom(z, "<="), Atom(q, "="))))))
        for o in range(m):
            value[("f", o, x)] = sum((a(o, j) * var[f"q_{p}_{j}"] for j in range(k)), var[f"c_{o}"])
    weight_names = {"W": "w_{}_{}", "b": "b_{}", "A": "a_{}_{}", "c": "c_{}"}
    poly = ctx.from_dict({})
    for monomial, coefficient in claim.poly.items():
        term = const(coefficient)
        for s, e in monomial:
            if s[0] == "f":
                term = term * value[s] ** e
            elif s[0] == "A" and case.signs:
                term = term * a(s[1], s[2]) ** e
            else:
                term = term * var[weight_names[s[0]].format(*s[1:])] ** e
        poly = poly + term
    parts.append(Atom(poly, NEGATION[claim.rel]))
    return System(ctx, And(tuple(parts)))


def _on_a_line(points: list[tuple[Fraction, ...]]) -> list[int] | None:
    """Indices of the points sorted along their common line, or None if they are not collinear."""
    p0 = points[0]
    p1 = next((p for p in points if p != p0), None)
    if p1 is None:
        return list(range(len(points)))
    d = [b - a for a, b in zip(p0, p1)]
    for p in points:
        r = [b - a for a, b in zip(p0, p)]
        if any(r[s] * d[t] != r[t] * d[s] for s in range(len(d)) for t in range(s)):
            return None
    return sorted(range(len(points)), key=lambda i: sum(a * b for a, b in zip(d, points[i])))


def _line_splits(instance: Instance, claim: Claim, system: System) -> list[tuple[str, System]] | None:
    """For collinear data and probes: one system per multiset of activation sets (each ReLU is
    active on a prefix, a suffix, all or none of the points along the line, ties on either
    side), which together cover every fit. Valid for claims over outputs only: permuting the
    ReLUs of the unnormalised encoding maps fits to fits and leaves every f_o(x) unchanged."""
    points = list(instance.points) + claim.probes()
    order = _on_a_line(points)
    if order is None or claim.mentions_weights:
        return None
    sets = {frozenset(), frozenset(order)}
    sets |= {frozenset(order[:i]) for i in range(1, len(order))} | {frozenset(order[i:]) for i in range(1, len(order))}
    var = dict(zip(system.ctx.names(), system.ctx.gens()))
    one = system.ctx.from_dict({(0,) * system.ctx.nvars(): 1})
    d, k = instance.shape.inputs, instance.shape.hidden

    def z(j: int, x: tuple[Fraction, ...]) -> flint.fmpq_mpoly:
        return var[f"b_{j}"] + sum((var[f"w_{j}_{t}"] * one * flint.fmpq(x[t].numerator, x[t].denominator)
                                    for t in range(d)), system.ctx.from_dict({}))

    out = []
    for n, pattern in enumerate(combinations_with_replacement(sorted(sets, key=sorted), k)):
        atoms = [Atom(z(j, x), ">=" if i in active else "<=")
                 for j, active in enumerate(pattern) for i, x in enumerate(points)]
        out.append((f"activation pattern {n}", System(system.ctx, And((system.formula, *atoms)))))
    return out


def check_claim(instance: Instance, claim: Claim, backend: str = "z3",
                timeout: float | None = None) -> ClaimResult:
    """Prove the claim for every zero-error fit, or refute it with a certified network.

    The whole formula goes to the backend first; when data and probes lie on one line and
    that takes more than WHOLE_FIRST seconds, the formula is split by activation patterns
    along the line (hundreds of small conjunctions instead of one formula with a disjunction
    per ReLU and point)."""
    s = instance.shape
    check_against(claim, s.inputs, s.hidden, s.outputs)
    start = time.monotonic()
    engine = backends.get(backend)
    (case,) = encode(instance, normalise=False)
    whole = negated_system(instance, case, claim)
    splits = _line_splits(instance, claim, whole)
    parts = [(case.label, whole)] + (splits or [])
    open_cases: list[str] = []
    for n, (label, system) in enumerate(parts):
        remaining = None if timeout is None else timeout - (time.monotonic() - start)
        if remaining is not None and remaining <= 0:
            open_cases.append(f"{label}: not tried (time limit)")
            break
        if n == 0 and splits:  # the whole formula first, briefly; then the patterns
            remaining = min(remaining or WHOLE_FIRST, WHOLE_FIRST)
        answer = engine.check(system, remaining)
        if n == 0 and splits and answer.status == "unknown":
            continue
        if n == 0 and answer.status == "unsat":
            parts = parts[:1]
            break
        if answer.status == "sat":
            network = case.network(answer.point)
            checked = certify(instance, network)
            lookup = lookup_in(network, {"W": network.W, "b": network.b, "A": network.A, "c": network.c})
            if checked.valid and not claim.holds(lookup):
                return ClaimResult(claim, "refuted", f"{label}; {answer.reason}; counterexample "
                                   "certified exactly", network, claim.value(lookup), time.monotonic() - start)
            open_cases.append(f"{label}: the backend's model failed the exact re-check")
        elif answer.status != "unsat":
            open_cases.append(f"{label}: {answer.reason}")
    seconds = time.monotonic() - start
    if open_cases:
        return ClaimResult(claim, "unknown", "; ".join(open_cases[:3]), seconds=seconds)
    how = f"{len(parts) - 1} activation patterns along the line" if len(parts) > 1 else "one formula"
    return ClaimResult(claim, "proved", f"fits ∧ ¬claim refuted by {engine.name} on the unnormalised direct "
                       f"encoding with {len(claim.probes())} probe point(s), {how}", seconds=seconds)


def fits_exist(instance: Instance, backend: str = "z3", timeout: float | None = None) -> Solution:
    """Whether any zero-error fit exists: the claim 0 = 1 is refuted exactly by a certified fit
    and proved exactly when there is none (the unnormalised encoding, which Z3 decides far
    faster than the normalised one on two-output instances)."""
    r = check_claim(instance, Claim("0 = 1", {(): Fraction(-1)}, "="), backend, timeout)
    status = {"refuted": "sat", "proved": "unsat", "unknown": "unknown"}[r.verdict]
    return Solution(instance.name, status, r.counterexample, Fraction(0) if r.counterexample else None,
                    r.counterexample is not None, backend, r.seconds,
                    "certified exactly" if status == "sat" else r.reason.replace("fits ∧ ¬claim", "fits"))


def check(instance: Instance, claims: list[Claim], backend: str = "z3", timeout: float | None = None,
          fits: bool = True) -> Report:
    """Check every claim (each with the full timeout); with fits=True also decide whether any fit exists."""
    results = [check_claim(instance, c, backend, timeout) for c in claims]
    return Report(results, fits_exist(instance, backend, timeout) if fits else None)
