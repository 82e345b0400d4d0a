"""The gadget checker: does every zero-error fit of an instance satisfy a claim?

A claim C is proved when "fits ∧ ¬C" is unsatisfiable.

Claims over outputs only (zero error, real weights) are checked activation pattern by
activation pattern (etr_nn.gadgets.patterns): the engine's DFS over the data and the
claim's probe points, ¬C in the exact simplex when C is linear in one output, the rank-one
system with ¬C to the nonlinear backend at each surviving full pattern (by default the search's:
linear elimination, nlsat, then the own CAD, backends/portfolio.py — on the transfer gadget's
leaves 1.7 times as many in a minute as nlsat alone); the reason of a
"proved" verdict gives the counts (partial patterns refuted by the simplex, full patterns
refuted by the backend). Measured with one process: the link (inversion) gadget's relation
X·Y = 1, 84 full patterns all refuted by nlsat, in about 10 s; the copy gadget (4 ReLUs in
the plane) in about 4 s and the addition gadget (6 ReLUs) in about 2.5 minutes, almost all
partial patterns refuted by kink covering (etr_nn.search.kinks) before the simplex.

Claims over weights go as one formula to the backend: "fits" is the direct encoding
(etr_nn.encode.direct) *without* normalisation (every weight free: the normalisation's
symmetries change weights), each probe point x adds hidden variables q_{x,j} =
relu(w_j·x + b_j) with the same case split and no label, f_o(x) = Σ_j a_oj·q_{x,j} + c_o.

Either way a satisfying point is turned into a network, certified exactly (etr_nn.certify)
and the claim evaluated on it exactly: only then is C reported refuted, with that network
as the counterexample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Callable, Literal, Sequence

import flint

from etr_nn.progress import Progress, wanted
from etr_nn.deadline import Deadline
from etr_nn import backends
from etr_nn.certify import certify
from etr_nn.encode.direct import Case, encode, relu
from etr_nn.exact import Number, to_fmpq
from etr_nn.gadgets import patterns
from etr_nn.gadgets.claims import Claim, Symbol, check_against, lookup_in
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.poly import NEGATION, And, Atom, Formula, System, rebase
from etr_nn.search.engine import LEAF_BACKEND
from etr_nn.solution import Solution, Status

Verdict = Literal["proved", "refuted", "unknown"]
FITS_STATUS: dict[Verdict, Status] = {"refuted": "sat", "proved": "unsat", "unknown": "unknown"}  # claim 0 = 1
GUIDE_SEEDS = 3  # float-guide runs that add fits for the last gate (`held_fits`)
GUIDE_SECONDS = 0.5  # each


@dataclass
class ClaimResult:
    """The verdict on one claim; `counterexample` (certified) and `value` only with "refuted"."""

    claim: Claim
    verdict: Verdict
    reason: str
    counterexample: Network | None = None
    value: Number | None = None  # lhs − rhs on the counterexample
    seconds: float = 0.0
    proof: dict[str, Any] | None = None  # "proved" by the pattern search with proof=True: etr_nn.gadgets.proof


@dataclass
class Report:
    results: list[ClaimResult]
    fits: Solution | None = field(default=None)  # does any zero-error fit exist?

    @property
    def proved(self) -> bool:
        return all(r.verdict == "proved" for r in self.results)


def negated_system(instance: Instance, case: Case, claim: Claim) -> System:
    """fits (this case) ∧ probes ∧ ¬claim, over the case's variables and the probe variables."""
    k, m = instance.shape.hidden, instance.shape.outputs
    probes = claim.probes()
    old = case.system.names
    extra = [f"q_{p}_{j}" for p in range(len(probes)) for j in range(k)]
    ctx = flint.fmpq_mpoly_ctx.get(tuple(old) + tuple(extra), "lex")
    var = dict(zip(ctx.names(), ctx.gens()))

    def const(v: Fraction) -> flint.fmpq_mpoly:
        return ctx.constant(to_fmpq(v))

    def a(o: int, j: int) -> flint.fmpq_mpoly:
        return const(Fraction(case.signs[j])) if case.signs else var[f"a_{o}_{j}"]

    parts: list[Formula] = [rebase(case.system.formula, ctx)]
    value: dict[Symbol, flint.fmpq_mpoly] = {}
    for p, x in enumerate(probes):
        parts += [relu(ctx, x, j, var[f"q_{p}_{j}"]) for j in range(k)]
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


def check_claim(instance: Instance, claim: Claim, backend: str = LEAF_BACKEND, timeout: float | None = None,
                proof: bool = False, tick: Callable[[int, int], None] | None = None, workers: int = 1) -> ClaimResult:
    """Prove the claim for every zero-error fit, or refute it with a certified network.

    A claim over outputs only, on a zero-error instance with real weights, is checked
    activation pattern by activation pattern (etr_nn.gadgets.patterns; its orthant choices in
    `workers` processes); any other claim as one formula (the unnormalised direct encoding) by
    the backend."""
    s = instance.shape
    check_against(claim, s.inputs, s.hidden, s.outputs)
    start = time.monotonic()
    if not claim.symbols() and claim.holds(lambda symbol: Fraction(0)):
        return ClaimResult(claim, "proved", "a true relation between constants", seconds=time.monotonic() - start)
    if not claim.mentions_weights and instance.max_error == 0 and instance.weights is None:
        return _by_patterns(instance, claim, backend, timeout, start, proof, tick, workers)
    engine = backends.get(backend)
    (case,) = encode(instance, normalise=False)
    answer = engine.check(negated_system(instance, case, claim), timeout)
    if answer.status == "sat":
        network = case.network(answer.point)
        refuted = _refuted(instance, claim, network, f"{case.label}; {answer.reason}; counterexample certified exactly",
                           start)
        if refuted:
            return refuted
        return ClaimResult(claim, "unknown", "the backend's model failed the exact re-check",
                           seconds=time.monotonic() - start)
    if answer.status == "unsat":
        return ClaimResult(claim, "proved", f"fits ∧ ¬claim refuted by {engine.name} on the unnormalised direct "
                           f"encoding (no normalisation) with {len(claim.probes())} probe point(s)",
                           seconds=time.monotonic() - start)
    return ClaimResult(claim, "unknown", answer.reason, seconds=time.monotonic() - start)


def _refuted(instance: Instance, claim: Claim, network: Network, reason: str, start: float) -> ClaimResult | None:
    """"refuted" when the network is a certified fit on which the claim fails exactly."""
    lookup = lookup_in(network, {"W": network.W, "b": network.b, "A": network.A, "c": network.c})
    if not certify(instance, network).valid or claim.holds(lookup):
        return None
    return ClaimResult(claim, "refuted", reason, network, claim.value(lookup), time.monotonic() - start)


def _by_patterns(instance: Instance, claim: Claim, backend: str, timeout: float | None, start: float,
                 proof: bool = False, tick: Callable[[int, int], None] | None = None, workers: int = 1) -> ClaimResult:
    tally = patterns.check(instance, claim, timeout, backend, proof=proof, tick=tick, workers=workers)
    r = tally.reduction
    assert r is not None  # patterns.check always records its reduction
    where = (f"{len(r.outputs)} of {instance.shape.outputs} output(s) (the others constant and unmentioned), "
             f"{len(r.G)} input coordinate(s) (affine hull of data and probes)")
    counts = (f"{tally.kink_refuted} partial activation patterns refuted by kink covering, "
              f"{tally.lp_refuted} by exact simplex over Q"
              f"{' with ¬claim' if tally.linear else ''}, {tally.leaves} full patterns reached, "
              f"{tally.nonlinear_refuted} refuted by {backend} (rank one ∧ ¬claim)")
    if tally.counterexample is not None:
        refuted = _refuted(instance, claim, tally.counterexample,
                           f"activation pattern search ({where}); counterexample certified exactly", start)
        if refuted:
            return refuted
        tally.open.append("the counterexample failed the exact re-check on the whole instance")
    seconds = time.monotonic() - start
    if tally.open:
        return ClaimResult(claim, "unknown", f"{counts}; open: " + "; ".join(tally.open[:3]), seconds=seconds)
    return ClaimResult(claim, "proved", f"every activation pattern of data and probes refuted over {tally.tasks} "
                       f"output orthant choices on {where}: {counts}", seconds=seconds, proof=tally.proof)


def fits_exist(instance: Instance, backend: str = LEAF_BACKEND, timeout: float | None = None,
               held: Sequence[Network] = ()) -> Solution:
    """Whether any zero-error fit exists: the claim 0 = 1 is refuted exactly by a certified fit
    and proved exactly when there is none (then no fit in `held` may exist: `gated`)."""
    searched = check_claim(instance, Claim("0 = 1", {(): Fraction(-1)}, "="), backend, timeout)
    r = gated(searched, held)
    status = FITS_STATUS[r.verdict]
    network = r.counterexample or (held[0] if held and status == "unknown" else None)
    if r.counterexample or (network and r is searched):
        rests_on = "a zero-error fit was found"
    else:  # no fit, undecided, or a proof of "no fit" contradicted by a fit held
        rests_on = r.reason.replace("fits ∧ ¬claim", "fits")
    if network is not None:
        return Solution.certified(instance, network, backend, r.seconds, rests_on)
    return Solution(instance.name, status, backend=backend, seconds=r.seconds, rests_on=rests_on)


def gated(result: ClaimResult, fits: Sequence[Network]) -> ClaimResult:
    """The last gate of a verdict: a proved claim holds on every fit, so it must hold on every
    certified fit the tool holds. One that violates it exposes an unsound step of the proof:
    the verdict becomes "unknown", naming the contradiction (never PROVED)."""
    if result.verdict != "proved":
        return result
    for network in fits:
        lookup = lookup_in(network, {"W": network.W, "b": network.b, "A": network.A, "c": network.c})
        if not result.claim.holds(lookup):
            value = result.claim.value(lookup)
            return replace(result, verdict="unknown", reason=(
                f"internal contradiction: the proof ({result.reason}) is contradicted by a certified zero-error "
                f"fit on which lhs − rhs = {value} (please report this instance and claim)"))
    return result


def held_fits(instance: Instance, found: Sequence[Network | None], seconds: float = GUIDE_SECONDS) -> list[Network]:
    """The certified fits at hand (found ones, re-certified) and a few more from the float guide
    (different seeds, `seconds` each): the witnesses the last gate checks a proof against."""
    fits = [n for n in found if n is not None and certify(instance, n).valid]
    if instance.max_error == 0 and instance.weights is None:
        from etr_nn.search.guide import guided

        for seed in range(GUIDE_SEEDS):
            network = guided(instance, Deadline.after(seconds), seed=seed)
            if network is not None and network not in fits and certify(instance, network).valid:
                fits.append(network)
    return fits


def check(instance: Instance, claims: list[Claim], backend: str = LEAF_BACKEND, timeout: float | None = None,
          fits: bool = True, proof: bool = False, progress: bool = False, workers: int = 1) -> Report:
    """Check every claim (each with the full timeout); with fits=True also decide whether any fit
    exists; with proof=True each claim the pattern search proves carries its proof
    (etr_nn.gadgets.proof). Every "proved" passes the last gate (`gated`) against the certified
    fits held: fits from the float guide (found without the search), the witness that fits
    exist, and the counterexamples to the other claims. With `progress`, a bar per claim on a
    terminal (etr_nn.progress); `workers`: processes for each claim's pattern search (without a proof)."""
    held = held_fits(instance, [])
    witness = fits_exist(instance, backend, timeout, held) if fits else None
    results = []
    for i, claim in enumerate(claims):
        with Progress(f"claim {i + 1}/{len(claims)}: patterns", None, wanted(not progress)) as bar:
            counts = [0, 0]

            def tick(explored: int, refuted: int) -> None:
                counts[0] += explored
                counts[1] += refuted
                bar.show(counts[0], refuted=counts[1])
            results.append(check_claim(instance, claim, backend, timeout, proof, tick, workers))
    held += [n for n in [witness.network if witness else None] + [r.counterexample for r in results]
             if n is not None and n not in held]
    return Report([gated(r, held) for r in results], witness)
