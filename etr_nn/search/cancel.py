"""Partial patterns with m ≥ 2 outputs refuted by a combination of two outputs in which a neuron cancels.

Fact. With u_jo = A[o, j]·v_j (fact 4), take outputs o ≠ t, a neuron j and λ = (λ_o, λ_t) =
(A[t, j], −A[o, j]). Then
    λ_o·f_o(x) + λ_t·f_t(x) = Σ_{i≠j} g_i·relu(v_i·x̃) + λ_o·c_o + λ_t·c_t,   g_i = λ_o·A[o, i] + λ_t·A[t, i]:
neuron j cancels. A[:, j] lies in the closed orthant σ_j, so σ_jt·λ_o ≥ 0 ≥ σ_jo·λ_t, and a positive multiple
of λ has σ_jt·λ_o − σ_jo·λ_t = 1 (when A[o, j] = A[t, j] = 0 every such λ cancels j). So at the decided labelled
points p, with w_i = g_i·v_i and c' = λ_o·c_o + λ_t·c_t,
    Σ_{i≠j : p ∈ S_i} w_i·x̃_p + c' = λ_o·y_po + λ_t·y_pt,
and w_i lies in ε_i·C_i, C_i the cone of neuron i's sign rows at the decided points (probes included), ε_i the
sign of g_i. The two terms of g_i have the signs σ_jt·σ_io and −σ_jo·σ_it: where these agree, ε_i is that sign;
where they differ (σ_i = ±σ_j on the outputs o, t) ε_i is a Boolean of the system, one for all points.
That system — linear in (λ, w, c') once the Booleans are chosen, decided by Z3's exact simplex — has a solution
for every network with the partial pattern; one without refutes the partial pattern and every completion (its
rows are among theirs). The per-output systems cannot see it: they share no unknowns, while this one asks k − 1
neurons and one free ratio to fit the same points. Its rows do not involve neuron j's own bits, so a verdict is
kept in the table of decided systems under the others' (σ_i, bits_i) as a multiset, with σ_j and the outputs.
Measured with the search alone (`python -m benchmarks.search`, d = 2, k = 3, m = 2, seven random labels, seed 38):
a quarter of the partial patterns whose per-output systems are feasible at depth 4 of 7, two thirds at depth 5,
nearly all at depth 6 are refuted by it.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from typing import Any

from etr_nn.lp import ExactLP, row_text
from etr_nn.patterns import Points, Prefixes, Row, Sign
from etr_nn.search.dichotomies import lifted


class Cancellation:
    """The test above for every neuron j and pair of outputs, one incremental simplex each, along the search path:
    `refutes(prefixes, path, table)` (`begin(signs)` at the start of every task)."""

    def __init__(self, points: Points, order: tuple[int, ...], k: int, m: int):
        self.points, self.order = points, order
        self.x = lifted(points.coords)
        self.width = len(self.x[0])
        self.pairs = list(combinations(range(m), 2))
        size = 2 + (k - 1) * self.width + 1  # λ_o, λ_t, w_i for the k − 1 other neurons, c'
        self.systems = [(j, pair) for j in range(k) for pair in self.pairs]
        self.others = [[i for i in range(k) if i != j] for j in range(k)]
        self.lps = {system: ExactLP(size) for system in self.systems}
        self.compiled: dict[Any, Any] = {}
        self.signs: tuple[Sign, ...] = ()
        self.epsilons: dict[tuple[int, tuple[int, int]], tuple[int, ...]] = {}

    def begin(self, signs: tuple[Sign, ...]) -> None:
        """A new task: its signs, each system's ε_i (the sign of g_i where the orthants fix it, else 0), no levels."""
        self.signs = signs
        self.epsilons = {(j, (o, t)): tuple(signs[j][t] * signs[i][o] if signs[j][t] * signs[i][o] == -signs[j][o] * signs[i][t]
                                            else 0 for i in self.others[j])
                         for j, (o, t) in self.systems}
        for lp in self.lps.values():
            lp.clear()

    def refutes(self, prefixes: Prefixes, path: list[tuple[int, ...]], table: Any) -> bool:
        """Does some neuron and pair of outputs give a combination without solution on the decided points? The
        table first for every system (no simplex when one is known infeasible), then the simplex for the others."""
        depth, signs = len(path), self.signs
        keys = {(j, pair): ("cancel", depth, *pair, (signs[j][pair[0]], signs[j][pair[1]]),
                            tuple(sorted((signs[i][pair[0]], signs[i][pair[1]], prefixes[i]) for i in self.others[j])))
                for j, pair in self.systems}
        hits = {system: table.get(key) for system, key in keys.items()}
        if False in hits.values():
            return True
        for system in self.systems:
            if hits[system] is None:
                j, (o, t) = system
                steps = [tuple(bits[i] for i in self.others[j]) for bits in path]
                result = self.lps[system].follow(steps, lambda s: self._block(j, o, t, s, steps[s])).check()
                if result == "unknown":
                    continue
                table.put(keys[system], result == "sat")
                if result == "unsat":
                    return True
        return False

    def _block(self, j: int, o: int, t: int, depth: int, bits: tuple[int, ...]) -> list[Any]:
        """The rows the point order[depth] adds to the system of neuron j and outputs (o, t), the other neurons
        having `bits` there (at depth 0 the rows on λ as well), compiled once into one block."""
        sj = self.signs[j]
        key = (o, t, sj[o], sj[t], self.epsilons[j, (o, t)], depth, bits)
        if key not in self.compiled:
            rows = self.rows(j, o, t, depth, bits)
            either: dict[int, dict[int, str]] = {}
            for guard, row in rows:
                if guard is not None:
                    either.setdefault(guard[0], {})[guard[1]] = row_text(row)
            text = " ".join([row_text(row) for guard, row in rows if guard is None]
                            + [f"(ite positive{a} {texts[1]} {texts[-1]})" for a, texts in either.items()])
            self.compiled[key] = [self.lps[j, (o, t)].formula(f"(and true {text})", [f"positive{a}" for a in either])]
        return self.compiled[key]

    def rows(self, j: int, o: int, t: int, depth: int, bits: tuple[int, ...]) -> list[tuple[tuple[int, int] | None, Row]]:
        """The rows of the point order[depth] in the unknowns (λ_o, λ_t, w_a for the other neurons a = 0 … k − 2 in
        order, c'), each with its guard: None, or (a, e) for a row that holds when ε_a = e (module docstring); at
        depth 0 the rows on λ first."""
        sj, width, p, one, zero = self.signs[j], self.width, self.order[depth], Fraction(1), Fraction(0)
        x, c = self.x[p], 2 + len(bits) * width
        rows: list[tuple[tuple[int, int] | None, Row]] = []
        if depth == 0:
            rows += [(None, Row(((0, Fraction(sj[t])),), ">=", zero)), (None, Row(((1, Fraction(-sj[o])),), ">=", zero)),
                     (None, Row(((0, Fraction(sj[t])), (1, Fraction(-sj[o]))), "=", one))]
        y = self.points.label(p)
        if y is not None:
            rows.append((None, Row(tuple((2 + a * width + r, x[r]) for a, bit in enumerate(bits) if bit
                                         for r in range(width) if x[r]) + ((c, one), (0, -Fraction(y[o])), (1, -Fraction(y[t]))),
                                   "=", zero)))
        for a, (bit, epsilon) in enumerate(zip(bits, self.epsilons[j, (o, t)])):
            for e in (epsilon,) if epsilon else (1, -1):
                s = e if bit else -e
                row = Row(tuple((2 + a * width + r, s * x[r]) for r in range(width) if x[r]), ">=", zero)
                rows.append((None if epsilon else (a, e), row))
        return rows
