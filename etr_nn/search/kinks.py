"""Kink covering: a combinatorial necessary condition on activation patterns from non-convex data.

Lemma. Let S be a set of data points and b a data point in the convex hull of S, b = Σ_a λ_a·a
(λ ≥ 0, Σ λ_a = 1), with y_b < Σ_a λ_a·y_a (output o: b lies below the interpolation). Then in every
zero-error fit (f(x) = y at every data point) some neuron j with A[o, j] > 0 has activations that
are not all the same on S ("cuts" S).
Proof: a neuron whose activation (h_j = v_j·x̃ > 0) is the same at every point of S is active on
all of conv(S) (relu(h_j) = h_j, affine there: h_j > 0 at the vertices) or inactive on it (relu(h_j)
= 0, since h_j ≤ 0 at the vertices). Without a positive-weight neuron cutting S, f_o on conv(S) is
affine plus a sum of −relu(·)'s, which is concave, so y_b = f_o(b) ≥ Σ λ_a·f_o(a) = Σ λ_a·y_a: a
contradiction. Data above the interpolation need a neuron with A[o, j] < 0 cutting S.

The required sets used: pairs {a, c} of collinear data with a point strictly between them off
the chord (`required_pairs`; only minimal ones: a neuron separating a from c separates every pair
(a', c') on that line with [a, c] ⊂ [a', c']), and simplices of d + 1 affinely independent data
points with a data point in their hull off the interpolating hyperplane (`required_simplices`;
d ≥ 2). A set is dropped when another one is cut by a subset of the dichotomies that cut it
(covering the other covers it), and each class keeps SETS sets, its pairs first, then the simplices
that the fewest dichotomies cut (any subset of the required sets is still required: sound, and the
set covers stay small). The covers run for the pairs first, then for every set kept: a cover of
fewer sets more often decides within its budget.

The search's closed orthants σ_jo (σ_jo·A[o, j] ≥ 0) contain every such neuron, so a
partial pattern is refuted when, for some output o and sign s, the required sets cannot
all be cut by neurons with σ_jo = s, each through a dichotomy of the points that is
still consistent with its bits so far.

With m ≥ 2 outputs the classes are also covered jointly: a neuron has one hyperplane, so one
dichotomy must serve every class its orthant puts it in (a neuron of orthant (+, −) that cuts S
does so for both outputs). Per class, it could use a different dichotomy for each;
the joint cover — one dichotomy per neuron covering the sets of every (output, sign) class at once,
each set tagged with its class — holds for every fit by the same lemma, and implies each class's.

Consistent dichotomies are bit masks over the list of all dichotomies; the covering test
is a small exact set-cover search over the distinct maximal "sets cut" sets (`_cover`),
which gives up undecided, pruning nothing, after COVER_STEPS branches.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from itertools import combinations, islice
from math import comb
from typing import Any, Callable, Sequence

import flint

from etr_nn.exact import to_fmpq
from etr_nn.exact.rational import to_float
from etr_nn.search.dichotomies import dichotomies

Point = Sequence[Fraction]
Pair = tuple[int, int]
SIMPLICES = 200_000  # subsets of d + 1 data points screened for `required_simplices` (the first ones, in order)
EXACT = 5_000  # at most this many (simplex, point) pairs: `simplex_candidates` decides them all exactly, without numpy
CHUNK = 2_000_000  # floats in one of numpy's arrays there (the simplices go through in chunks)
CANDIDATES = 2_048  # simplices of each sign (the smallest) a covering considers before keeping SETS sets of a class
SETS = 128  # required sets kept per (output, sign) class: its pairs, then the simplices the fewest dichotomies cut
COVER_STEPS = 20_000  # branches of one exact set cover (`_cover`) before it gives up undecided
PROBED = 2  # bits of each part of a set cover's need it counts the sets of, to branch on the rarest (`_probed`)
REFUTED = 100_000  # subproblems without a cover kept for later joint covers (then forgotten, all at once)
JOINT_STEPS = 1_000  # ... of the joint cover (m ≥ 2), which runs at every partial pattern the classes' covers pass


def lines(points: Sequence[Point]) -> list[list[int]]:
    """The lines holding three or more of the points: each as its points' indices, in order along
    it (points that coincide are on every line through one of them, each copy separately). Found
    by grouping the other points by their direction from each point, scaled to a leading 1 (so
    that leading coordinate orders a line): O(n²) exact divisions."""
    found: set[tuple[int, ...]] = set()
    for i, a in enumerate(points):
        through: dict[tuple[Fraction, ...], list[int]] = {}
        for j, b in enumerate(points):
            delta = [q - p for p, q in zip(a, b)]
            lead = next((v for v in delta if v), None)
            if lead is not None:
                through.setdefault(tuple(v / lead for v in delta), []).append(j)
        for direction, members in through.items():
            if len(members) >= 2:
                e = next(t for t, v in enumerate(direction) if v)
                found.add(tuple(sorted([i, *members], key=lambda j: (points[j][e], j))))
    return [list(line) for line in sorted(found)]


def required_pairs(points: Sequence[Point], values: Sequence[Fraction]) -> dict[int, list[Pair]]:
    """Minimal pairs (a, c) some neuron of each sign must separate: {+1: convex, −1: concave}.
    A pair is required for s when a point strictly between a and c on their line lies below
    (s = 1) or above (s = −1) the chord; minimal: no other required pair's segment lies inside
    its own (a sweep over the segments by right end, per line)."""
    n = len(values)
    result: dict[int, set[Pair]] = {1: set(), -1: set()}
    for line in lines(points[:n]):
        a0, a1 = points[line[0]], points[line[-1]]
        e = next(t for t in range(len(a0)) if a0[t] != a1[t])
        t = [(points[j][e] - a0[e]) / (a1[e] - a0[e]) for j in line]  # positions along the line, 0 to 1
        segments: dict[int, list[tuple[Fraction, Fraction, Pair]]] = {1: [], -1: []}
        for u, w in combinations(range(len(line)), 2):
            if t[u] == t[w]:
                continue
            i, k = line[u], line[w]
            signs = set()
            for v in range(u + 1, w):
                if t[u] < t[v] < t[w]:
                    lam = (t[v] - t[u]) / (t[w] - t[u])
                    gap = values[i] + lam * (values[k] - values[i]) - values[line[v]]
                    if gap:
                        signs.add(1 if gap > 0 else -1)
            for sign in signs:
                segments[sign].append((t[u], t[w], (min(i, k), max(i, k))))
        for sign, found in segments.items():
            reach: Fraction | None = None  # the largest left end among segments with a smaller right end
            for left, right, pair in sorted(found, key=lambda seg: (seg[1], -seg[0])):
                if reach is None or reach < left:
                    result[sign].add(pair)
                reach = left if reach is None else max(reach, left)
    return {sign: sorted(pairs) for sign, pairs in result.items()}


def required_simplices(points: Sequence[Point], values: Sequence[Fraction]) -> dict[int, list[tuple[int, ...]]]:
    """Simplices of d + 1 affinely independent data points (d ≥ 2) with a data point b in their hull whose value lies
    below (s = 1) or above (s = −1) the affine interpolation of theirs: {s: sets}, each confirmed exactly
    (`simplex_candidates`, `below`)."""
    (candidates,) = simplex_candidates(points, [values])
    return {s: [S for S, b in found.items() if below(points, values, S, b) == s] for s, found in candidates.items()}


def simplex_candidates(points: Sequence[Point], outputs: Sequence[Sequence[Fraction]],
                       limit: int | None = None) -> list[dict[int, dict[tuple[int, ...], int]]]:
    """Per output (its values at the data points), {s: {simplex: b}}: the simplices (of the first SIMPLICES subsets of
    d + 1 data points) that floats (numpy) say hold a data point b below (s = 1) or above (s = −1) their interpolation,
    with the b of the largest gap; with `limit`, only that many of each sign, the smallest in volume. Not yet confirmed
    (`below` does it exactly): a simplex the floats miss is only a requirement lost, never a wrong one. With at most
    EXACT pairs of a simplex and a point, every pair is decided exactly instead (no floats, no numpy)."""
    n, d = len(outputs[0]) if outputs else 0, len(points[0]) if points else 0
    if d < 2 or n < d + 2:
        return [{1: {}, -1: {}} for _ in outputs]
    if comb(n, d + 1) * n <= EXACT:
        return [_exact_candidates(points, values) for values in outputs]
    import numpy as np  # only here: a small solve's start-up does without it

    none = (np.zeros(0), np.zeros((0, d + 1), dtype=np.intp), np.zeros(0, dtype=np.intp))  # (volume, simplex, b)
    found: list[dict[int, list[tuple[Any, Any, Any]]]] = [{1: [none], -1: [none]} for _ in outputs]
    lifted = np.array([[to_float(v) for v in x] + [1.0] for x in points[:n]])  # ±inf past the float range: no candidate
    ys = [np.array([to_float(v) for v in values]) for values in outputs]
    subsets = islice(combinations(range(n), d + 1), SIMPLICES)
    while chunk := list(islice(subsets, max(1, CHUNK // (n * (d + 1))))):  # numpy's arrays: CHUNK floats each
        simplices = np.array(chunk, dtype=np.intp)
        vertices = np.transpose(lifted[simplices], (0, 2, 1))  # columns: the lifted vertices
        volume = np.abs(np.linalg.det(vertices))
        regular = volume > 1e-9 * np.max(np.abs(lifted)) ** (d + 1)
        simplices, vertices, volume = simplices[regular], vertices[regular], volume[regular]
        lam = np.linalg.inv(vertices) @ lifted.T  # barycentric coordinates of every data point, per simplex
        inside = (lam >= -1e-9).all(axis=1)
        inside[np.arange(len(simplices))[:, None], simplices] = False
        for y, by_sign in zip(ys, found):
            gap = np.einsum("tin,ti->tn", lam, y[simplices]) - y  # interpolation − value
            scale = 1e-9 * max(1.0, float(np.max(np.abs(y))))
            for s, kept in by_sign.items():
                candidate = np.where(inside & (s * gap > -scale), s * gap, -np.inf)
                best = np.argmax(candidate, axis=1)
                hit = np.isfinite(candidate[np.arange(len(simplices)), best])
                kept.append((volume[hit], simplices[hit], best[hit]))
    result = []
    for by_sign in found:
        chosen: dict[int, dict[tuple[int, ...], int]] = {}
        for s, parts in by_sign.items():
            volume, simplices, best = (np.concatenate(column) for column in zip(*parts))
            picked = np.argsort(volume, kind="stable")[:limit]
            chosen[s] = {tuple(int(a) for a in simplices[t]): int(best[t]) for t in picked}
        result.append(chosen)
    return result


def _exact_candidates(points: Sequence[Point], values: Sequence[Fraction]) -> dict[int, dict[tuple[int, ...], int]]:
    """`simplex_candidates` for a few points, in exact arithmetic only (`below` for every simplex and point)."""
    found: dict[int, dict[tuple[int, ...], int]] = {1: {}, -1: {}}
    for simplex in combinations(range(len(values)), len(points[0]) + 1):
        for b in set(range(len(values))) - set(simplex):
            s = below(points, values, simplex, b)
            if s:
                found[s].setdefault(simplex, b)
    return found


def below(points: Sequence[Point], values: Sequence[Fraction], simplex: tuple[int, ...], b: int) -> int:
    """Exactly: 1 if point b is in the simplex's hull below the interpolation of its vertices' values, −1 if above,
    else 0 (barycentric coordinates, flint)."""
    matrix = flint.fmpq_mat([[to_fmpq(points[a][t]) for a in simplex] for t in range(len(points[b]))] + [[1] * len(simplex)])
    try:
        lam = matrix.solve(flint.fmpq_mat([[to_fmpq(v)] for v in points[b]] + [[1]]))
    except ZeroDivisionError:  # affinely dependent vertices (the floats thought otherwise)
        return 0
    if any(lam[i, 0] < 0 for i in range(len(simplex))):
        return 0
    gap = sum((lam[i, 0] * to_fmpq(values[a]) for i, a in enumerate(simplex)), flint.fmpq(0)) - to_fmpq(values[b])
    return 1 if gap > 0 else -1 if gap < 0 else 0


def kept_sets(candidates: Sequence[tuple[int, ...]], inside: Sequence[int],
              required: Callable[[tuple[int, ...]], bool]) -> list[tuple[int, tuple[int, ...]]]:
    """The required sets a covering keeps (module docstring): with cut(S) the dichotomies whose membership is not
    constant on S (`inside[p]`: the dichotomies holding point p), the candidates in order — pairs first, then by
    |cut(S)| — each kept when no kept one's cut lies in its cut and `required` confirms it, until SETS are kept; in
    that order, as (cut(S), S)."""
    cuts = sorted(((_cut(S, inside), S) for S in candidates), key=lambda c: (len(c[1]) > 2, c[0].bit_count(), c[1]))
    kept: list[tuple[int, tuple[int, ...]]] = []
    for cut, S in cuts:
        if not any(other & ~cut == 0 for other, _ in kept) and required(S):
            kept.append((cut, S))
            if len(kept) == SETS:
                break
    return kept


def _transposed(rows: Sequence[Sequence[int]], width: int) -> list[int]:
    """Column masks of a 0/1 matrix given by the columns of each row's ones: bit r of entry c is row r's at c
    (built as digit strings: a bit at a time on Python's big integers is quadratic)."""
    digits = [bytearray(b"0" * len(rows)) for _ in range(width)]
    for r, ones in enumerate(rows):
        for c in ones:
            digits[c][len(rows) - 1 - r] = ord("1")
    return [int(column or b"0", 2) for column in digits]


def _cut(S: tuple[int, ...], inside: Sequence[int]) -> int:
    """The dichotomies whose membership is not constant on S (bit mask)."""
    cut = 0
    for p in S[1:]:
        cut |= inside[S[0]] ^ inside[p]
    return cut


class Covering:
    """The kink-covering test for the points `points` (labels for the first len(labels))."""

    def __init__(self, points: Sequence[Point], labels: Sequence[Sequence[Fraction]], order: Sequence[int]):
        cells = dichotomies(points)
        self.full = (1 << len(cells)) - 1
        self.inside = _transposed([list(cell) for cell in cells], len(points))  # per point, the dichotomies holding it
        self.order = tuple(order)
        outputs = len(labels[0]) if labels else 0
        self.needs: dict[tuple[int, int], int] = {}  # (o, s) → mask of its required sets
        self.separates: dict[tuple[int, int], list[int]] = {}  # (o, s) → per dichotomy, the sets it cuts
        columns = [[y[o] for y in labels] for o in range(outputs)]
        pairs_kept: dict[tuple[int, int], int] = {}  # (o, s) → mask of its required pairs
        for o, (values, simplices) in enumerate(zip(columns, simplex_candidates(points, columns, CANDIDATES))):
            pairs = required_pairs(points[:len(labels)], values)
            for s, found in simplices.items():
                sets = kept_sets([*pairs[s], *found], self.inside,
                                 lambda S: S not in found or below(points, values, S, found[S]) == s)  # noqa: B023
                if sets:
                    self.needs[o, s] = (1 << len(sets)) - 1
                    pairs_kept[o, s] = (1 << sum(len(S) == 2 for _, S in sets)) - 1  # kept_sets puts them first
                    ones = [[d for d, bit in enumerate(reversed(bin(cut))) if bit == "1"] for cut, _ in sets]
                    self.separates[o, s] = _transposed(ones, len(cells))  # per dichotomy, the sets it cuts
        # the joint cover's bits: class (o, s)'s sets shifted by its offset
        self.offsets: dict[tuple[int, int], int] = {}
        offset = 0
        for key, need in self.needs.items():
            self.offsets[key], offset = offset, offset + need.bit_length()
        self.joint_need = sum(need << self.offsets[key] for key, need in self.needs.items())
        self.parts = tuple(need << self.offsets[key] for key, need in self.needs.items())  # the classes' joint bits
        # the covers are tried for the pairs first, then for every set (`feasible`)
        first = sum(need << self.offsets[key] for key, need in pairs_kept.items())
        self.stages = (first, self.joint_need) if 0 < first < self.joint_need else (self.joint_need,)
        self.masks: dict[tuple[int, ...], int] = {(): self.full}
        self.memo: dict[tuple[int, int, int], list[int]] = {}
        self.joint_separated: dict[tuple[int, ...], list[int]] = {}
        self.joint_memo: dict[tuple[tuple[int, ...], int], list[int]] = {}
        self.decided: dict[tuple[int, int, int, tuple[int, ...]], bool] = {}
        self.joint_decided: dict[tuple[Any, ...], bool] = {}
        self.joint_refuted: set[Any] = set()  # subproblems of joint covers without a cover (`_find_cover`)
        self.witness: list[tuple[tuple[int, ...], int]] | None = None  # `_joint_cover`
        self.giving: dict[tuple[tuple[int, ...], int], int] = {}

    def __bool__(self) -> bool:
        return bool(self.needs)

    def mask(self, prefix: tuple[int, ...]) -> int:
        """The dichotomies agreeing with a neuron's bits on the first len(prefix) points of the order."""
        hit = self.masks.get(prefix)
        if hit is None:
            inside = self.inside[self.order[len(prefix) - 1]]
            hit = self.mask(prefix[:-1]) & (inside if prefix[-1] else self.full & ~inside)
            self.masks[prefix] = hit
        return hit

    def _options(self, o: int, s: int, mask: int) -> list[int]:
        """The maximal sets of required sets one neuron with these dichotomies can cut."""
        key = (o, s, mask)
        hit = self.memo.get(key)
        if hit is None:
            sep = self.separates[o, s]
            hit = self.memo[key] = _maximal({sep[d] for d in range(mask.bit_length()) if mask >> d & 1})
        return hit

    def _joint_separates(self, sign: tuple[int, ...]) -> list[int]:
        """Per dichotomy, the tagged required sets (every class of the orthant `sign`) a neuron with it cuts."""
        hit = self.joint_separated.get(sign)
        if hit is None:
            parts = [(self.separates[o, s], self.offsets[o, s]) for o, s in enumerate(sign) if (o, s) in self.needs]
            hit = self.joint_separated[sign] = [sum(sep[d] << offset for sep, offset in parts)
                                                for d in range(self.full.bit_length())]
        return hit

    def _joint_options(self, sign: tuple[int, ...], mask: int) -> list[int]:
        """The maximal sets of tagged required sets one neuron of this orthant with these dichotomies can cut,
        one dichotomy for all."""
        key = (sign, mask)
        hit = self.joint_memo.get(key)
        if hit is None:
            separated = self._joint_separates(sign)
            hit = self.joint_memo[key] = _maximal({separated[d] for d in range(mask.bit_length()) if mask >> d & 1})
        return hit

    def viable(self, signs: Sequence[Sequence[int]], prefixes: Sequence[tuple[int, ...]], partial: tuple[int, ...]) -> bool:
        """Can the first len(partial) neurons take these bits at the next point, the others still undecided there?
        Each neuron's dichotomies shrink as its prefix grows, and covering is monotone in them (a neuron's options
        only shrink), so False here refutes every completion of the partial vector (patterns.children)."""
        mixed = [p + (b,) for p, b in zip(prefixes, partial)] + list(prefixes[len(partial):])
        return self.feasible(signs, mixed) is None

    def feasible(self, signs: Sequence[Sequence[int]], prefixes: Sequence[tuple[int, ...]]) -> int | None:
        """None if every (output, sign) class can still cover its sets, each class alone and all jointly;
        else the failing output (−1: only the joint cover fails)."""
        neurons = [(tuple(sign), self.mask(p)) for sign, p in zip(signs, prefixes)]
        if self._witnessed(neurons):
            return None  # the joint cover found last still holds: so does each class's
        classes = {(o, s): tuple(sorted(mask for sign, mask in neurons if sign[o] == s)) for o, s in self.needs}
        for stage in self.stages:  # the pairs (the covers of fewer sets decide within their budgets more often), all
            for (o, s), masks in classes.items():
                need = stage >> self.offsets[o, s] & self.needs[o, s]
                hit = self.decided.get((o, s, need, masks))
                if hit is None:
                    hit = self.decided[o, s, need, masks] = _cover(need, [self._options(o, s, m) for m in masks])
                if not hit:
                    return o
            if not self._joint_cover(neurons, stage):
                return -1
        return None

    def _witnessed(self, neurons: list[tuple[tuple[int, ...], int]]) -> bool:
        """Does the last joint cover found (per neuron, the dichotomies that give it its share of the sets) still
        cover, every neuron having one of its dichotomies? Along a search path the masks only shrink: most nodes
        pass by it, without a set cover."""
        return self.witness is not None and len(self.witness) == len(neurons) and all(
            sign == had and (not share or mask & share) for (sign, mask), (had, share) in zip(neurons, self.witness))

    def _joint_cover(self, neurons: list[tuple[tuple[int, ...], int]], need: int) -> bool:
        """The joint cover of `need` (bits of `joint_need`) for neurons given as (orthant, dichotomies); a cover of
        all of `joint_need` becomes the witness (`_witnessed`). With one output it is the classes' covers together,
        run for its witness."""
        key = (need, *sorted(neurons))
        hit = self.joint_decided.get(key)
        if hit is None:
            if len(self.joint_refuted) > REFUTED:
                self.joint_refuted.clear()
            hit, shares = _find_cover(need, [self._joint_options(sign, mask) for sign, mask in neurons],
                                      JOINT_STEPS, self.parts, self.joint_refuted)
            self.joint_decided[key] = hit
            if shares is not None and need == self.joint_need:
                self.witness = [(sign, self._giving(sign, x) if x else 0) for (sign, _), x in zip(neurons, shares)]
        return hit

    def _giving(self, sign: tuple[int, ...], sets: int) -> int:
        """The dichotomies that cut all these (tagged) sets for a neuron of this orthant."""
        hit = self.giving.get((sign, sets))
        if hit is None:
            hit = self.giving[sign, sets] = sum(1 << d for d, cut in enumerate(self._joint_separates(sign))
                                                if cut & sets == sets)
        return hit


def _probed(need: int, parts: tuple[int, ...]) -> set[int]:
    """The bits of `need` (one-bit masks) whose sets a set-cover node counts to branch on the rarest: the PROBED
    lowest of each part (a class's sets are numbered pairs first, then from the fewest dichotomies cutting them:
    `kept_sets`)."""
    probed = set()
    for part in [need & p for p in parts if need & p] or [need]:
        for _ in range(PROBED):
            if not part:
                break
            low = part & -part
            probed.add(low)
            part ^= low
    return probed


def _maximal(sets: set[int]) -> list[int]:
    """The inclusion-maximal sets (bit masks), largest first."""
    return sorted((x for x in sets if not any(y != x and x & y == x for y in sets)), key=lambda x: -x.bit_count())


def _cover(need: int, options: list[list[int]], steps: int = COVER_STEPS, parts: tuple[int, ...] = ()) -> bool:
    """Can one set from each list (or none) together contain every bit of `need`? (`_find_cover`)"""
    return _find_cover(need, options, steps, parts)[0]


def _find_cover(need: int, options: list[list[int]], steps: int = COVER_STEPS, parts: tuple[int, ...] = (),
                refuted: set[Any] | None = None) -> tuple[bool, list[int] | None]:
    """Can one set from each list (or none) together contain every bit of `need`? Exact set cover
    by branching on the bit the fewest sets contain (of the PROBED lowest of each part), largest part of
    `need` first, over the distinct lists (equal lists are interchangeable neurons: one branch per set, not
    per neuron), with memo; True as well when that takes more than `steps` branches: undecided, which
    refutes nothing (sound, never a hang). A branch is cut when the lists cannot reach enough bits of `need`, or of its part
    in one of the masks `parts` (each list contributes at most its largest set's bits there).
    With True, a cover when one was found: per list, the part of `need` its set is to give (0: none).
    `refuted` keeps the subproblems (need, distinct lists) found to have no cover, for later calls (a caller's cache:
    exact, whatever the budget and parts)."""
    groups = Counter(tuple(opts) for opts in options if opts)
    memo: dict[tuple[int, tuple[tuple[tuple[int, ...], int], ...]], bool] = {}
    known = refuted if refuted is not None else set()
    left = [steps]
    chosen: list[tuple[tuple[int, ...], int]] = []

    def short(need: int, groups: tuple[tuple[tuple[int, ...], int], ...]) -> bool:
        return any(sum(count * max(map(int.bit_count, map(part.__and__, opts))) for opts, count in groups)
                   < part.bit_count() for part in (need, *(need & p for p in parts)) if part)

    def cover(need: int, groups: tuple[tuple[tuple[int, ...], int], ...]) -> bool:
        if not need:
            return True
        key = (need, groups)
        if key in memo:
            return memo[key]
        if key in known:
            return False
        left[0] -= 1
        if left[0] < 0:
            return True  # undecided
        found = False
        if not short(need, groups):
            candidates = [{(g, x & need) for g, (opts, _) in enumerate(groups) for x in opts if x & bit}
                          for bit in _probed(need, parts)]
            fewest: set[tuple[int, int]] = min(candidates, key=len)
            for g, x in sorted(fewest, key=lambda c: -c[1].bit_count()):
                opts, count = groups[g]
                rest = groups[:g] + (((opts, count - 1),) if count > 1 else ()) + groups[g + 1:]
                if cover(need & ~x, rest):
                    chosen.append((opts, x))
                    found = True
                    break
        memo[key] = found
        if not found:
            known.add(key)
        return found

    if not cover(need, tuple(sorted(groups.items()))):
        return False, None
    if left[0] < 0:
        return True, None
    given: dict[tuple[int, ...], list[int]] = {}
    for opts, x in chosen:
        given.setdefault(opts, []).append(x)
    shares = []
    for listed in options:
        pool = given.get(tuple(listed))
        shares.append(pool.pop() if pool else 0)
    return True, shares
