"""A dynamic program over neurons, pseudo-polynomial for a fixed number of data points.

Everything is in the integer form of etr_nn.discrete.common (scale L). Write N = n·m.

Neuron types. A hidden neuron (w, b) ∈ S^{d+1} acts on the data only through its vector
h = (relu(w·x_i + b))_{i ≤ n}; with its output column a ∈ S^m it adds the vector
    v(w, b, a) = (a_o·h_i)_{o, i} ∈ Z^N
to the outputs at the data. Let T be the set of distinct such vectors (types):
|T| ≤ |H|·|S|^m with |H| ≤ |S|^{d+1} distinct hidden vectors. The network's outputs at the
data are P + c with P the sum of a multiset of k types, and the loss separates by output:
    loss = Σ_o min_{c_o ∈ S} Σ_i ℓ(P_{o,i} + c_o − y_{o,i})       (c chosen last).

Recurrence. Fix an order of T. R_0 = {0}; a state at level t is a partial sum p of t types
together with last(p), the least index of the last type over the sorted sequences
(types in nondecreasing index) that reach p:
    R_{t+1} = {p + v_j : p ∈ R_t, j ≥ last(p)},   last(q) = min{j : q = p + v_j, j ≥ last(p)}.
Every multiset of k types is one sorted sequence, and its prefixes' last indices are at
least the minimal ones, so R_k is exactly the set of sums of k-multisets: the k! orders of
interchangeable neurons are never expanded twice, and equal sums are merged (a state is
a sum, not a choice of weights).

Pruning (valid for any loss bound γ). After level t the remaining r = k − t types add, at
coordinate (o, i), a value in r·[lo_{o,i}, hi_{o,i}] (the least and greatest entry of a
type there). So the loss of any completion of p is at least
    B_r(p) = Σ_o min_{c_o ∈ S} Σ_i ℓ(dist(y_{o,i} − c_o − p_{o,i}, r·[lo_{o,i}, hi_{o,i}])),
and states with B_r(p) > ⌊γ·scale⌋ are dropped. B_0 is the exact loss with the best c;
the instance is sat iff some state of R_k survives. (For γ = 0 this keeps exactly the
partial sums from which the labels stay reachable coordinatewise.)

Running time. Building T costs O(|S|^{d+1}·n·d + |H|·|S|^m·N). With the gcd g of all
type entries, |R_t| ≤ min(C(|T|+t−1, t), Π_{o,i} (t·(hi−lo)/g + 1)), so the program takes
O(Σ_t |R_t|·|T|·N·|S|) time and O(Σ_t |R_t|·N) memory: for fixed n, m, k (and d, |S|)
this is polynomial in the magnitudes (hi − lo)/g of the scaled data — pseudo-polynomial,
as in the two-layer algorithm of Doron-Arad (arXiv 2412.13057) for a fixed data-set size.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from itertools import product

from etr_nn.deadline import Deadline
from etr_nn.discrete.common import Outcome, Scaled
from etr_nn.network import Network

Vector = tuple[int, ...]
Level = dict[Vector, "tuple[int, Vector] | None"]  # state → (last(state), parent), None if pruned


@dataclass(frozen=True)
class Neuron:
    """Scaled weights (D_S·w, D_S·b, D_S·a) of one hidden neuron and its output column."""

    w: Vector
    b: int
    a: Vector


@dataclass(frozen=True)
class Types:
    """The distinct contribution vectors (ascending), one neuron realising each."""

    vectors: tuple[Vector, ...]
    neurons: tuple[Neuron, ...]
    hidden: int  # |H|, the number of distinct hidden vectors

    def box(self) -> tuple[Vector, Vector]:
        """Per coordinate, the least and greatest entry of any type."""
        columns = list(zip(*self.vectors))
        return tuple(map(min, columns)), tuple(map(max, columns))


def neuron_types(sc: Scaled, deadline: Deadline | None = None) -> Types | None:
    """T with a witness for each type; None if the deadline passes first."""
    d, m, n = sc.instance.shape.inputs, sc.instance.shape.outputs, sc.instance.n
    hidden: dict[Vector, tuple[int, ...]] = {}
    for count, wb in enumerate(product(sc.weights, repeat=d + 1)):
        if deadline and count % 4096 == 0 and deadline.passed():
            return None
        h = tuple(max(sc.pre_activation(wb[:d], wb[d], i), 0) for i in range(n))
        hidden.setdefault(h, wb)
    found: dict[Vector, Neuron] = {}
    for h, wb in hidden.items():
        for a in product(sc.weights, repeat=m):
            vector = tuple(sc.d_y * ao * hi for ao in a for hi in h)
            found.setdefault(vector, Neuron(wb[:d], wb[d], a))
    order = sorted(found)
    return Types(tuple(order), tuple(found[v] for v in order), len(hidden))


def state_bound(sc: Scaled, types: Types, k: int) -> int:
    """An upper bound on the states of the program: Σ_t min(multisets, box points)."""
    lo, hi = types.box()
    g = math.gcd(*(e for v in types.vectors for e in v)) or 1
    total = 0
    for t in range(k + 1):
        box = 1
        for low, high in zip(lo, hi):
            box *= t * (high - low) // g + 1
        total += min(math.comb(len(types.vectors) + t - 1, t), box)
    return total


class CompletionBound:
    """B_r(p) of the module docstring, with the best output biases.

    Per output o the bias c enters as the shift L·c; at point i the remaining types can
    absorb it without loss iff shift ∈ [y − p − r·hi, y − p − r·lo] =: [low_i, high_i], and
    otherwise cost ℓ(distance to that interval). The cost is convex in the shift, so the
    scan over S (ascending) stops at the first increase; with no loss left to spend it is
    the test "some shift lies in ∩_i [low_i, high_i]" (a bisection).
    """

    def __init__(self, sc: Scaled, box: tuple[Vector, Vector]) -> None:
        inst = sc.instance
        self.n, self.m = inst.n, inst.shape.outputs
        self.lo, self.hi = box
        self.targets = tuple(sc.labels[i][o] for o in range(self.m) for i in range(self.n))
        self.weights = sc.weights
        self.shifts = tuple(c * sc.bias_factor for c in sc.weights)
        self.squared = inst.loss == "squared"

    def __call__(self, state: Vector, r: int, limit: int) -> tuple[int, Vector]:
        """(B_r(state), best scaled biases); stops early, biases cut short, above `limit`."""
        biases: list[int]
        n, total, biases = self.n, 0, []
        for o in range(self.m):
            span = range(o * n, (o + 1) * n)
            low = [self.targets[at] - state[at] - r * self.hi[at] for at in span]
            high = [self.targets[at] - state[at] - r * self.lo[at] for at in span]
            if total == limit:
                first, last = max(low), min(high)
                at = bisect.bisect_left(self.shifts, first)
                if at == len(self.shifts) or self.shifts[at] > last:
                    return limit + 1, tuple(biases)
                biases.append(self.weights[at])
                continue
            best, best_c = -1, 0
            for c, shift in zip(self.weights, self.shifts):
                cost = 0
                for a, b in zip(low, high):
                    gap = a - shift if shift < a else shift - b if shift > b else 0
                    if gap:
                        cost += gap * gap if self.squared else gap
                if 0 <= best < cost:
                    break
                if best < 0 or cost < best:
                    best, best_c = cost, c
            total += best
            biases.append(best_c)
            if total > limit:
                break
        return total, tuple(biases)


def solve(sc: Scaled, deadline: Deadline, types: Types | None = None) -> Outcome:
    """Run the program of the module docstring (on `types` if already listed)."""
    k = sc.instance.shape.hidden
    types = types or neuron_types(sc, deadline)
    if types is None:
        return Outcome("unknown", reason="dynamic program: time limit while listing neuron types")
    bound, budget, vectors = CompletionBound(sc, types.box()), sc.budget, types.vectors
    zero = (0,) * len(vectors[0])
    levels: list[Level] = [{zero: (0, zero)}]
    steps = pruned = 0
    for t in range(k):
        r = k - t - 1
        following: Level
        current, following = levels[-1], {}
        levels.append(following)
        for p, entry in current.items():
            if entry is None:
                continue
            for j in range(entry[0], len(vectors)):
                steps += 1
                if steps % 4096 == 0 and deadline.passed():
                    return Outcome("unknown", reason=f"dynamic program: time limit at level {t + 1} of {k}")
                q = tuple(x + y for x, y in zip(p, vectors[j]))
                if q in following:
                    known = following[q]
                    if known is not None and j < known[0]:
                        following[q] = (j, p)
                    continue
                if bound(q, r, budget)[0] > budget:
                    following[q] = None
                    pruned += 1
                    continue
                following[q] = (j, p)
                if r == 0:  # a sum of k types within the loss bound: done
                    stats = _stats(types, levels, pruned)
                    return Outcome("sat", _network(sc, types, levels, q, bound),
                                   reason=f"dynamic program over {k} neuron(s) from {len(vectors)} types",
                                   details={"dp": stats})
    stats = _stats(types, levels, pruned)
    return Outcome("unsat", reason=f"dynamic program over {k} neuron(s) from {len(vectors)} types: "
                   f"all {stats['states']} partial-sum states explored, {pruned} pruned by the "
                   f"completion bound, no sum of {k} types reaches loss ≤ {sc.instance.max_error}",
                   details={"dp": stats})


def _stats(types: Types, levels: list[Level], pruned: int) -> dict[str, int]:
    return {"types": len(types.vectors), "hidden_vectors": types.hidden,
            "states": sum(len(level) for level in levels), "pruned": pruned}


def _network(sc: Scaled, types: Types, levels: list[Level], q: Vector, bound: CompletionBound) -> Network:
    """Walk the parent links back from a final state; choose the best output biases."""
    biases = bound(q, 0, sc.budget)[1]
    chosen = []
    for level in reversed(levels[1:]):
        entry = level[q]
        assert entry is not None
        chosen.append(types.neurons[entry[0]])
        q = entry[1]
    return network_of(sc, chosen[::-1], biases)


def network_of(sc: Scaled, neurons: list[Neuron], biases: Vector) -> Network:
    """The network with these neurons (in order) and output biases, unscaled."""
    m = sc.instance.shape.outputs
    f = sc.weight
    return Network.build([[f(v) for v in u.w] for u in neurons], [f(u.b) for u in neurons],
                         [[f(u.a[o]) for u in neurons] for o in range(m)], [f(c) for c in biases])
