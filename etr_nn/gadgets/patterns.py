"""Claims checked activation pattern by activation pattern (the pattern-search engine's DFS).

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
a strictly convex (concave) collinear triple of data needs a neuron with a positive
(negative) output weight switching between its ends, so each orthant class of neurons
must still be able to separate all such pairs through dichotomies consistent with its
bits; this is what cuts the plane gadgets (copy, addition) down to seconds or minutes.
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

import time
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from typing import Any, Callable

import flint
from etr_nn.z3lib import z3

from etr_nn import backends
from etr_nn.certify import certify
from etr_nn.exact import from_z3
from etr_nn.gadgets.claims import Claim, Symbol, lookup_in
from etr_nn.instance import Instance, Shape
from etr_nn.network import Network
from etr_nn.poly import HOLDS, NEGATION, And, Atom, System
from etr_nn.search.dichotomies import basis, lifted
from etr_nn.search.engine import LEAF_SECONDS, OutOfTime, Search
from etr_nn.search.kinks import Covering
from etr_nn.search.lp import rational, to_z3
from etr_nn.search.patterns import Points, Sign, point_order, point_rows, sign_choices

Prefixes = tuple[tuple[int, ...], ...]
#: (points: data then probes, number of data points, claim point indices) → the order the
#: search decides the points in (a permutation); default: claim points, then lexicographic.
Ordering = Callable[[list[tuple[Fraction, ...]], int, tuple[int, ...]], tuple[int, ...]]


@dataclass
class Tally:
    """What the pattern check found: a certified counterexample, or every pattern refuted."""

    counterexample: Network | None = None
    kink_refuted: int = 0  # partial patterns refuted by kink covering (etr_nn.search.kinks)
    lp_refuted: int = 0  # partial patterns refuted by the exact simplex (with ¬claim where linear)
    leaves: int = 0  # full patterns reached
    nonlinear_refuted: int = 0  # full patterns refuted by the nonlinear backend
    open: list[str] = field(default_factory=list)
    tasks: int = 0
    linear: bool = False  # ¬claim went into the simplex (a linear claim over one output)
    reduction: Reduction | None = None
    proof: dict[str, Any] | None = None  # with check(..., proof=True) and every pattern refuted: etr_nn.gadgets.proof


def evaluate(claim: Claim, value: Callable[[Symbol], Any], const: Callable[[Fraction], Any]) -> Any:
    """lhs − rhs with each output symbol's value from `value` (any ring: z3, flint)."""
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


class ClaimSearch(Search):
    """The engine's search over data + probe points, refuting "this pattern ∧ ¬claim"."""

    def __init__(self, data: Instance, claim: Claim, deadline: float | None, nonlinear: str = "z3",
                 ordering: Ordering | None = None):
        self.claim = claim
        points = Points.of(data, claim.probes()).coords
        self.index = {x: points.index(x) for x in claim.probes()}  # claim point → point index
        first = tuple(sorted(set(self.index.values())))
        order = (first + tuple(p for p in point_order(data) if p not in first) if ordering is None
                 else ordering(list(points), data.n, first))
        super().__init__(data, order, nonlinear, deadline, probes=points[data.n:])
        self.cut = max(order.index(p) for p in first) if first else -1  # depth at which every claim point is decided
        outputs = {s[1] for s in claim.symbols() if s[0] == "f"}
        linear = all(sum(e for _, e in m) <= 1 for m in claim.poly)
        self.linear_output = outputs.pop() if linear and len(outputs) == 1 else None
        self.tally = Tally()
        self.current: list[tuple[int, ...]] = []
        self.covering = Covering(points, data.labels, order)
        self.recorder: Any = None  # an etr_nn.gadgets.proof.Recorder when a proof is asked for

    def _sync(self, o: int, path: list[tuple[int, ...]]) -> z3.Solver:
        self.current = path
        return super()._sync(o, path)

    def _constraint(self, o: int, p: int, bits: tuple[int, ...]) -> z3.BoolRef:
        """The point's rows (a probe: signs only); at the last claim point of a linear claim
        over output o, also ¬claim (it depends on every claim point's bits)."""
        t = self.order.index(p)
        claim_bits = tuple(self.current[:t + 1]) if t == self.cut and o == self.linear_output else None
        key = (o, tuple(s[o] for s in self.signs), p, bits, claim_bits)
        if key not in self.cache:
            rows = point_rows(self.points, self.layout, self.signs, p, bits, (o,))
            parts = [z3.And(*[to_z3(r, self.vars) for r in rows])]
            if claim_bits is not None:
                bits_at = {self.order[s]: b for s, b in enumerate(claim_bits)}
                parts.append(HOLDS[NEGATION[self.claim.rel]](self._linear_claim(bits_at)))
            self.cache[key] = z3.And(*parts)
        return self.cache[key]

    def _linear_claim(self, bits_at: dict[int, tuple[int, ...]]) -> z3.ArithRef:
        """lhs − rhs over the engine's unknowns, given the claim points' activation bits."""
        L = self.layout

        def value(s: Symbol) -> z3.ArithRef:
            p, o = self.index[s[2]], s[1]
            x = lifted([self.points.coords[p]])[0]
            terms = [rational(x[t]) * self.vars[L.u(j, o, t)] for j in range(L.k) if bits_at[p][j]
                     for t in range(L.d + 1) if x[t]]
            return z3.Sum(*terms, self.vars[L.c(o)])
        return evaluate(self.claim, value, lambda c: rational(c))

    def _status(self, prefixes: Prefixes, path: list[tuple[int, ...]]) -> tuple[str, int]:
        """Kink covering (etr_nn.search.kinks) first, then the engine's exact simplex."""
        if self.covering:
            o = self.covering.feasible(self.signs, prefixes)
            if o is not None:
                self.tally.kink_refuted += 1
                if self.recorder is not None:
                    self.recorder.note("kinks", o, prefixes)
                return "kinks", o
        status, o = super()._status(prefixes, path)
        if self.recorder is not None:
            self.recorder.note(status, o, prefixes)
        return status, o

    def _refuted(self, prefixes: Prefixes, o: int) -> None:
        self.tally.lp_refuted += 1

    def _leaf(self, prefixes: Prefixes, path: list[tuple[int, ...]]) -> bool:
        """A full pattern: a cheap fit violating the claim, else the rank-one system with ¬claim."""
        self.tally.leaves += 1
        L = self.layout
        z: list[Any] = [Fraction(0)] * L.size
        for o in range(L.m):
            solver = self._sync(o, path)
            if solver.check() != z3.sat:  # decided feasible before, so this cannot happen
                self.tally.open.append(f"{self._label(prefixes)}: simplex lost its model")
                return False
            model = solver.model()
            for v in [L.c(o)] + [L.u(j, o, t) for j in range(L.k) for t in range(L.d + 1)]:
                z[v] = from_z3(model.eval(self.vars[v], model_completion=True))
        network = self._rank_one(z)
        if network is not None and self._violates(network):
            return True
        system, decode = self._negated_rank_one(prefixes)
        limit = LEAF_SECONDS if self.deadline is None else min(LEAF_SECONDS, max(0.1, self.deadline - time.time()))
        answer = backends.get(self.nonlinear).check(system, limit)
        if answer.status == "unsat":
            self.tally.nonlinear_refuted += 1
        elif answer.status == "sat" and (network := decode(answer.point)) is not None and self._violates(network):
            return True
        else:
            self.tally.open.append(f"{self._label(prefixes)}: {answer.reason or 'model failed the exact re-check'}")
        if self.deadline is not None and time.time() > self.deadline:
            raise OutOfTime
        return False

    def _violates(self, network: Network) -> bool:
        """A certified fit of the data on which the claim fails (exactly): the counterexample."""
        if not certify(self.instance, network).valid:
            return False
        if self.claim.holds(lookup_in(network, {})):
            return False
        self.tally.counterexample = network
        return True

    def _negated_rank_one(self, prefixes: Prefixes) -> tuple[System, Callable[[dict[str, Any]], Network | None]]:
        """The full pattern's exact system over the engine's unknowns z = (u, c): its linear rows
        (data and probes), rank one (every 2×2 minor of (u_jo_t)_{o,t} is 0, so u_jo = A[o, j]·v_j)
        and ¬claim, whose probe values are linear in z. Its solutions are exactly the fits with
        this (closed) pattern violating the claim."""
        L = self.layout
        names = tuple(f"z{v}" for v in range(L.size))
        ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
        z = ctx.gens()
        one = ctx.from_dict({(0,) * len(names): 1})
        const = lambda c: one * flint.fmpq(c.numerator, c.denominator)  # noqa: E731
        atoms = []
        for t, p in enumerate(self.order):
            for row in point_rows(self.points, L, self.signs, p, tuple(b[t] for b in prefixes)):
                poly = sum((z[v] * const(a) for v, a in row.coeffs), -const(row.rhs))
                atoms.append(Atom(poly, row.rel))
        for j in range(L.k):
            for o, o2 in combinations(range(L.m), 2):
                for t, t2 in combinations(range(L.d + 1), 2):
                    minor = z[L.u(j, o, t)] * z[L.u(j, o2, t2)] - z[L.u(j, o, t2)] * z[L.u(j, o2, t)]
                    atoms.append(Atom(minor, "="))
        bits_at = {p: tuple(b[t] for b in prefixes) for t, p in enumerate(self.order)}
        xs = lifted(self.points.coords)

        def value(s: Symbol) -> flint.fmpq_mpoly:
            p, o = self.index[s[2]], s[1]
            return sum((z[L.u(j, o, t)] * const(xs[p][t]) for j in range(L.k) if bits_at[p][j]
                        for t in range(L.d + 1) if xs[p][t]), z[L.c(o)])
        atoms.append(Atom(evaluate(self.claim, value, const), NEGATION[self.claim.rel]))
        decode = lambda point: self._rank_one([point.get(n, Fraction(0)) for n in names])  # noqa: E731
        return System(ctx, And(tuple(atoms))), decode


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
        gram = [[sum((a * b for a, b in zip(e, f)), Fraction(0)) for f in E] for e in E]
        inv = _inverse(gram)
        G = tuple(tuple(sum((inv[i][k] * E[k][t] for k in range(len(E))), Fraction(0)) for t in range(d))
                  for i in range(len(E)))
    return Reduction(kept_outputs(instance, claim), tuple(p0), G)


def _inverse(matrix: list[list[Fraction]]) -> list[list[Fraction]]:
    """Gauss–Jordan inverse of a nonsingular rational matrix."""
    n = len(matrix)
    rows = [list(r) + [Fraction(int(i == j)) for j in range(n)] for i, r in enumerate(matrix)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if rows[r][col])
        rows[col], rows[pivot] = rows[pivot], rows[col]
        rows[col] = [a / rows[col][col] for a in rows[col]]
        for r in range(n):
            if r != col and rows[r][col]:
                rows[r] = [a - rows[r][col] * b for a, b in zip(rows[r], rows[col])]
    return [r[n:] for r in rows]


def check(instance: Instance, claim: Claim, timeout: float | None = None, nonlinear: str = "z3",
          ordering: Ordering | None = None, proof: bool = False) -> Tally:
    """Run the pattern search for "fits ∧ ¬claim" over every choice of output orthants; with
    `proof`, record a checkable proof (etr_nn.gadgets.proof; Farkas multipliers cost an LP each)
    and put it in the tally when every pattern is refuted."""
    r = reduction(instance, claim)
    data, renamed = r.instance(instance), r.claim(claim)
    deadline = None if timeout is None else time.time() + timeout
    search = ClaimSearch(data, renamed, deadline, nonlinear, ordering)
    if proof:
        from etr_nn.gadgets.proof import Recorder, Setting
        search.recorder = Recorder(Setting.of(instance, claim), search.order)
    tasks: list[tuple[Sign, ...]] = sign_choices(data.shape.hidden, data.shape.outputs)
    search.tally.tasks, search.tally.reduction = len(tasks), r
    search.tally.linear = search.linear_output is not None
    for task in tasks:
        if search.recorder is not None:
            search.recorder.begin(task)
        outcome = search.run(task)
        search.tally.open += outcome.open  # the engine's own open ends (time limit, simplex unknown)
        if "time limit reached" in outcome.open:
            break
        if search.tally.counterexample is not None:
            search.tally.counterexample = r.network(instance, search.tally.counterexample)
            break
    t = search.tally
    if search.recorder is not None and t.counterexample is None and not t.open and not search.recorder.problems:
        t.proof = search.recorder.document(instance, claim)
    return t
