"""Claims checked activation pattern by activation pattern (the pattern-search engine's DFS,
extended through its hooks, etr_nn.search.engine.Hooks).

For a claim over outputs only, "fits ∧ ¬claim" splits by the activation pattern of the data
*and the probe points*: the search of etr_nn.search.engine runs over the claim's points
first, then the data (a probe adds only its sign rows, no label equation). Under a pattern
every probe value f_o(x) = Σ_{j active at x} u_jo·x̃ + c_o is linear in the engine's
unknowns u_jo = A[o, j]·(w_j, b_j) and c_o, so:
- a linear claim over one output o adds the linear condition ¬claim (strict, or ≠) to output
  o's exact simplex as soon as every claim point is decided: each partial pattern whose
  system with ¬claim is infeasible is refuted exactly, with its whole subtree;
- at a full pattern that survives, the LP solution is tried as a network (when it is rank
  one, always with one output); if it does not violate the claim, the pattern's exact system
  (its linear rows, the 2×2 minors of each neuron's (u_jo) vanishing, and ¬claim; linear
  with one output) goes to the nonlinear backend (Z3's nlsat).
Before the simplex, each partial pattern must pass kink covering (etr_nn.search.kinks):
a data point below (above) the interpolation of data around it (a collinear triple, a
simplex) needs a neuron with a positive (negative) output weight whose activation is not
constant on those, so each orthant class of neurons must still be able to cut all such
sets through dichotomies consistent with its bits; this is what cuts the plane gadgets
(copy, addition) down to seconds or minutes.
Every fit has some pattern, so "every pattern refuted" proves the claim; a network found is
certified exactly and the claim evaluated on it exactly before it is reported.

Before the search the instance is reduced (`Reduction`), keeping the same fits:
- outputs the claim does not mention and whose labels are constant are dropped (any fit of
  the others extends with A[o, :] = 0, c_o = that constant, and every fit restricts);
- inputs become coordinates on the affine hull of data and probes (one input for the
  collinear variable and link gadgets): fits restrict to the hull and extend from it.
Neuron symmetry is broken as in the engine: permuting neurons leaves every output, hence
the claim, unchanged.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import flint

from etr_nn.deadline import Deadline
from etr_nn import backends
from etr_nn.certify import certify
from etr_nn.exact import Number, from_fmpq, to_fmpq
from etr_nn.gadgets.claims import Claim, Symbol, lookup_in
from etr_nn.instance import Instance, Shape
from etr_nn.network import Network
from etr_nn.poly import NEGATION, Atom, System
from etr_nn.search.dichotomies import basis
from etr_nn.search.engine import LEAF_BACKEND, LEAF_SECONDS, Hooks, Search
from etr_nn.supervise import die_with_parent
from etr_nn.patterns import (Layout, Linear, Points, Prefixes, Row, Sign, full_pattern_system, lp_network,
                                    output_value, point_order, point_rows, sign_choices, unknowns)

#: (points: data then probes, number of data points, claim point indices) → the order the
#: search decides the points in (a permutation); default: claim points, then lexicographic.
Ordering = Callable[[list[tuple[Fraction, ...]], int, tuple[int, ...]], tuple[int, ...]]


@dataclass
class Tally:
    """What the pattern check found: a certified counterexample, or every pattern refuted."""

    counterexample: Network | None = None
    kink_refuted: int = 0  # partial patterns refuted by kink covering (etr_nn.search.kinks)
    lp_refuted: int = 0  # partial patterns refuted by the exact simplex (with ¬claim where linear)
    rank_refuted: int = 0  # partial patterns refuted by the exact rank-one test (etr_nn.search.rankone)
    leaves: int = 0  # full patterns reached
    nonlinear_refuted: int = 0  # full patterns refuted by the nonlinear backend
    open: list[str] = field(default_factory=list)
    tasks: int = 0
    linear: bool = False  # ¬claim went into the simplex (a linear claim over one output)
    reduction: Reduction | None = None
    proof: dict[str, Any] | None = None  # with check(..., proof=True) and every pattern refuted: etr_nn.gadgets.proof

    def add(self, other: Tally) -> None:
        """Count in what another part of the search found (`_in_workers`)."""
        self.counterexample = self.counterexample or other.counterexample
        self.kink_refuted += other.kink_refuted
        self.lp_refuted += other.lp_refuted
        self.rank_refuted += other.rank_refuted
        self.leaves += other.leaves
        self.nonlinear_refuted += other.nonlinear_refuted
        self.open += other.open


def evaluate(claim: Claim, value: Callable[[Symbol], Any], const: Callable[[Fraction], Any]) -> Any:
    """lhs − rhs with each output symbol's value from `value` (any ring: z3, flint, Linear)."""
    total = const(Fraction(0))
    for monomial, coefficient in claim.poly.items():
        term = const(coefficient)
        for s, e in monomial:
            term = term * value(s) ** e
        total = total + term
    return total


def kept_outputs(instance: Instance, claim: Claim) -> tuple[int, ...]:
    """The outputs the claim mentions or whose labels are not constant (at least one)."""
    mentioned = {s[1] for s in claim.symbols() if s[0] == "f"}
    keep = tuple(o for o in range(instance.shape.outputs)
                 if o in mentioned or len({y[o] for y in instance.labels}) > 1)
    return keep or (0,)


@dataclass
class Setting:
    """A claim's pattern problem: the reduced instance and claim (`Reduction`), its points (data,
    then the claim's probe points, etr_nn.patterns.Points), where each claim point is, and
    ¬claim over the pattern's unknowns. Shared by the search and the proofs (etr_nn.gadgets.proof)."""

    reduction: Reduction
    data: Instance
    claim: Claim  # over the reduced instance
    points: Points
    index: dict[tuple[Fraction, ...], int]  # claim point → point index
    layout: Layout
    linear_output: int | None  # a linear claim over this one output: ¬claim joins its rows
    memo: dict[Any, list[Row]] = field(default_factory=dict)

    @classmethod
    def of(cls, instance: Instance, claim: Claim) -> Setting:
        r = reduction(instance, claim)
        data, renamed = r.instance(instance), r.claim(claim)
        points = Points.of(data, renamed.probes())
        index = {x: points.coords.index(x) for x in renamed.probes()}
        outputs = {s[1] for s in renamed.symbols() if s[0] == "f"}
        linear = all(sum(e for _, e in m) <= 1 for m in renamed.poly)
        s = data.shape
        return cls(r, data, renamed, points, index, Layout(s.inputs, s.hidden, s.outputs),
                   outputs.pop() if linear and len(outputs) == 1 else None)

    def order(self, ordering: Ordering | None = None) -> tuple[int, ...]:
        """The order the points are decided in: the claim points, then the engine's order."""
        first = tuple(sorted(set(self.index.values())))
        if ordering is not None:
            return ordering(list(self.points.coords), self.data.n, first)
        return first + tuple(p for p in point_order(self.data) if p not in first)

    def cut(self, order: tuple[int, ...]) -> int:
        """The depth index at which every claim point is decided (−1 without claim points)."""
        return max((order.index(p) for p in self.index.values()), default=-1)

    def point_rows(self, signs: tuple[Sign, ...], p: int, bits: tuple[int, ...], o: int) -> list[Row]:
        """etr_nn.patterns.point_rows for output o (memoised: proofs ask for the same often)."""
        key = (tuple(s[o] for s in signs), p, bits, o)
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = point_rows(self.points, self.layout, signs, p, bits, (o,))
        return hit

    def claim_value(self, bits_at: dict[int, tuple[int, ...]], convert: Callable[[Linear], Any] = lambda v: v) -> Any:
        """lhs − rhs of the claim under the pattern: every probe value f_o(x_p) is linear in the
        unknowns (etr_nn.patterns.output_value), converted by `convert` (default: kept as
        Linear, which only a linear claim allows)."""
        def value(s: Symbol) -> Any:
            p = self.index[s[2]]
            return convert(output_value(self.points, self.layout, p, bits_at[p], s[1]))
        return evaluate(self.claim, value, lambda c: convert(Linear((), c)))

    def negated_rows(self, order: tuple[int, ...], prefixes: Prefixes) -> list[Row]:
        """¬claim as rows, alternatives of one row each (ℓ ≠ 0: ℓ > 0 or ℓ < 0), for a linear claim
        over one output with every claim point decided by `prefixes`."""
        bits_at = {order[t]: tuple(b[t] for b in prefixes) for t in range(len(prefixes[0]))}
        return self.claim_value(bits_at).row(NEGATION[self.claim.rel])

    def negated_system(self, order: tuple[int, ...], signs: tuple[Sign, ...], prefixes: Prefixes) -> System:
        """A full pattern's exact system (etr_nn.patterns.full_pattern_system) with ¬claim:
        its solutions are exactly the fits with this (closed) pattern that violate the claim."""
        _, z = unknowns(self.layout)
        bits_at = {p: tuple(b[t] for b in prefixes) for t, p in enumerate(order)}
        negated = Atom(self.claim_value(bits_at, lambda v: v.poly(z)), NEGATION[self.claim.rel])
        return full_pattern_system(self.points, signs, order, prefixes, [negated])


class ClaimSearch:
    """The engine's search (etr_nn.search.engine) over data and probe points for "this pattern ∧
    ¬claim", through its hooks (kink covering, zero error, is the search's own first test): ¬claim joins the simplex of a linear
    claim's output at the depth where every claim point is decided, and a full pattern yields a
    counterexample (a certified fit violating the claim) or is refuted with ¬claim."""

    def __init__(self, setting: Setting, order: tuple[int, ...], deadline: Deadline, nonlinear: str = LEAF_BACKEND,
                 observe: Callable[[str, int, Prefixes], None] | None = None,
                 tick: Callable[[int, int], None] | None = None):
        self.setting, self.order, self.deadline, self.nonlinear = setting, order, deadline, nonlinear
        self.cut = setting.cut(order)
        self.tally = Tally(linear=setting.linear_output is not None, reduction=setting.reduction)
        hooks = Hooks(extra=self.negated_claim if setting.linear_output is not None else None,
                      leaf=self.leaf, observe=observe)
        self.search = Search(setting.data, order, nonlinear, deadline, tick=tick,
                             probes=setting.points.coords[setting.data.n:], hooks=hooks)

    def negated_claim(self, o: int, depth: int, path: list[tuple[int, ...]]) -> list[list[Row]] | None:
        """Hooks.extra: ¬claim for the claim's output at the depth of its last claim point."""
        if depth != self.cut or o != self.setting.linear_output:
            return None
        prefixes = tuple(tuple(bits[j] for bits in path) for j in range(self.setting.layout.k))
        return [[row] for row in self.setting.negated_rows(self.order, prefixes)]

    def leaf(self, signs: tuple[Sign, ...], prefixes: Prefixes, z: list[Number]) -> Network | None:
        """Hooks.leaf: the LP's own solution when it is a fit violating the claim, else the full
        pattern's system with ¬claim decided by the nonlinear backend."""
        self.tally.leaves += 1
        L = self.setting.layout
        network = lp_network(z, signs, L)
        if network is not None and self.violates(network):
            return network
        system = self.setting.negated_system(self.order, signs, prefixes)
        limit = self.deadline.cap(LEAF_SECONDS, least=0.1)
        answer = backends.get(self.nonlinear).check(system, limit)
        if answer.status == "unsat":
            self.tally.nonlinear_refuted += 1
            return None
        if answer.status == "sat":
            network = lp_network([answer.point.get(f"z{v}", Fraction(0)) for v in range(L.size)], signs, L)
            if network is not None and self.violates(network):
                return network
        label = f"signs {[list(s) for s in signs]}, bits {[''.join(map(str, b)) for b in prefixes]}"
        self.tally.open.append(f"{label}: {answer.reason or 'model failed the exact re-check'}")
        return None

    def violates(self, network: Network) -> bool:
        """A certified fit of the data on which the claim fails (exactly)."""
        return certify(self.setting.data, network).valid and not self.setting.claim.holds(lookup_in(network, {}))

    def run(self, signs: tuple[Sign, ...]) -> bool:
        """One task (a choice of output orthants); False when the search must stop (a
        counterexample, or the time limit)."""
        outcome = self.search.run(signs)
        t = self.tally
        t.kink_refuted += outcome.kinks
        t.lp_refuted += outcome.pruned
        t.rank_refuted += outcome.rank_one
        t.open += outcome.open
        if outcome.status == "sat" and outcome.network is not None:
            t.counterexample = outcome.network
        return t.counterexample is None and not outcome.timed_out


@dataclass(frozen=True)
class Reduction:
    """The instance on the outputs kept and in coordinates λ = G·(x − p0) of the affine hull of
    data and probes: a fit W'·λ + b' there is the fit W = W'·G, b = b' − W'·G·p0 of the whole
    instance with the same outputs on the hull, and every fit restricts to one, so a claim
    over outputs at points of the hull holds for all fits of one iff of the other."""

    outputs: tuple[int, ...]
    p0: tuple[Fraction, ...]
    G: tuple[tuple[Fraction, ...], ...]  # r × d, G·E = identity for a basis E of the hull

    def coords(self, x: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
        return tuple(sum((g * (a - b) for g, a, b in zip(row, x, self.p0)), Fraction(0)) for row in self.G)

    def instance(self, instance: Instance) -> Instance:
        return Instance(instance.name, Shape(len(self.G), instance.shape.hidden, len(self.outputs)),
                        tuple(self.coords(x) for x in instance.points),
                        tuple(tuple(y[o] for o in self.outputs) for y in instance.labels))

    def claim(self, claim: Claim) -> Claim:
        rename = lambda s: ("f", self.outputs.index(s[1]), self.coords(s[2]))  # noqa: E731
        return Claim(claim.text, {tuple((rename(s), e) for s, e in m): c for m, c in claim.poly.items()}, claim.rel)

    def network(self, instance: Instance, network: Network) -> Network:
        """A fit of the reduced instance as a fit of the whole one (dropped outputs: A = 0, c = label)."""
        d = len(self.p0)
        W = tuple(tuple(sum((w[i] * self.G[i][t] for i in range(len(self.G))), Fraction(0)) for t in range(d))
                  for w in network.W)
        b = tuple(bj - sum((w[t] * self.p0[t] for t in range(d)), Fraction(0)) for w, bj in zip(W, network.b))
        zero = (Fraction(0),) * instance.shape.hidden
        A = tuple(network.A[self.outputs.index(o)] if o in self.outputs else zero for o in range(instance.shape.outputs))
        c = tuple(network.c[self.outputs.index(o)] if o in self.outputs else instance.labels[0][o]
                  for o in range(instance.shape.outputs))
        return Network(W, b, A, c)


def reduction(instance: Instance, claim: Claim) -> Reduction:
    """Drop the constant unmentioned outputs; coordinates on the affine hull of data and probes."""
    points = list(instance.points) + claim.probes()
    p0, d = points[0], instance.shape.inputs
    E = basis([tuple(a - b for a, b in zip(x, p0)) for x in points]) or [tuple(Fraction(int(t == 0)) for t in range(d))]
    if len(E) == d:
        G = tuple(tuple(Fraction(int(i == t)) for t in range(d)) for i in range(d))
    else:  # G = (EᵀE)⁻¹·Eᵀ with the basis vectors as columns of E
        rows = flint.fmpq_mat([[to_fmpq(v) for v in e] for e in E])  # Eᵀ
        product = (rows * rows.transpose()).inv() * rows
        G = tuple(tuple(from_fmpq(product[i, t]) for t in range(d)) for i in range(len(E)))
    return Reduction(kept_outputs(instance, claim), tuple(p0), G)


_forked: ClaimSearch | None = None  # the search forked workers inherit (`_in_workers`)


def _task(signs: tuple[Sign, ...]) -> Tally:
    """One orthant choice in a worker: what it found, alone."""
    assert _forked is not None
    _forked.tally = Tally()
    _forked.run(signs)
    return _forked.tally


def _in_workers(search: ClaimSearch, tasks: list[tuple[Sign, ...]], workers: int) -> None:
    """Every task in `workers` forked processes (each inherits the search), their tallies added to the search's; the
    first counterexample ends them all, and so does the deadline (each task ends at it)."""
    global _forked
    _forked = search
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers, initializer=die_with_parent) as pool:
            for part in pool.imap_unordered(_task, tasks):
                search.tally.add(part)
                if part.counterexample is not None:
                    break
    finally:
        _forked = None


def check(instance: Instance, claim: Claim, timeout: float | None = None, nonlinear: str = LEAF_BACKEND,
          ordering: Ordering | None = None, proof: bool = False,
          tick: Callable[[int, int], None] | None = None, workers: int = 1) -> Tally:
    """Run the pattern search for "fits ∧ ¬claim" over every choice of output orthants; with
    `proof`, record a checkable proof (etr_nn.gadgets.proof) and put it in the tally when every
    pattern is refuted. `tick(explored, refuted)` hears of the search's progress (one process only).
    With `workers` > 1 (no proof; where processes fork) the orthant choices, independent, are
    shared out among that many processes."""
    setting = Setting.of(instance, claim)
    order = setting.order(ordering)
    deadline = Deadline.after(timeout)
    recorder = None
    if proof:
        from etr_nn.gadgets.proof import Recorder
        recorder = Recorder(setting, order)
    forked = workers > 1 and recorder is None and "fork" in multiprocessing.get_all_start_methods()
    search = ClaimSearch(setting, order, deadline, nonlinear, recorder.note if recorder else None,
                         None if forked else tick)  # a worker's ticks would reach a copy of the caller's progress
    tasks: list[tuple[Sign, ...]] = sign_choices(setting.layout.k, setting.layout.m)
    search.tally.tasks = len(tasks)
    if forked:
        _in_workers(search, tasks, workers)
    else:
        for task in tasks:
            if recorder is not None:
                recorder.begin(task)
            if not search.run(task):
                break
    t = search.tally
    if t.counterexample is not None:
        t.counterexample = setting.reduction.network(instance, t.counterexample)
    elif recorder is not None and not t.open and not recorder.problems:
        t.proof = recorder.document(instance, claim)
    return t
