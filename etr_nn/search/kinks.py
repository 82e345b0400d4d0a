"""Kink covering: a combinatorial necessary condition on activation patterns from collinear data.

Lemma. Let a, b, c be collinear data points with b strictly between a and c, and
y_b < the linear interpolation of y_a, y_c (strictly convex; output o). Then in every
zero-error fit (f(x) = y at every data point) some neuron j with A[o, j] > 0 has
different activations at a and c.
Proof: along the segment [a, c] the pre-activation h_j = v_j·x̃ is affine, so a neuron
whose activation (h_j > 0) is the same at a and c is active on the whole segment (relu(h_j)
affine there) or inactive on it (relu(h_j) = 0 on it, since h_j ≤ 0 at both ends). Without a
positive-weight neuron switching between a and c, f_o restricted to [a, c] is affine plus
a sum of −relu(·)'s, which is concave, so y_b ≥ the interpolation: a contradiction.
Strictly concave triples need a neuron with A[o, j] < 0 switching between a and c.

The search's closed orthants σ_jo (σ_jo·A[o, j] ≥ 0) contain every such neuron, so a
partial pattern is refuted when, for some output o and sign s, the required pairs cannot
all be separated by neurons with σ_jo = s, each through a dichotomy of the points that is
still consistent with its bits so far. Only minimal pairs are kept: a neuron separating a
from c separates every pair (a', c') on that line with [a, c] ⊂ [a', c'].

With m ≥ 2 outputs the classes are also covered jointly: a neuron has one hyperplane, so one
dichotomy must serve every class its orthant puts it in (a neuron of orthant (+, −) that switches
between a and c does so for both outputs). Per class, it could use a different dichotomy for each;
the joint cover — one dichotomy per neuron covering the pairs of every (output, sign) class at once,
each pair tagged with its class — holds for every fit by the same lemma, and implies each class's.

Consistent dichotomies are bit masks over the list of all dichotomies; the covering test
is a small exact set-cover search over the distinct maximal "pairs separated" sets (`_cover`),
which gives up undecided, pruning nothing, after COVER_STEPS branches.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from itertools import combinations
from typing import Sequence

from etr_nn.search.dichotomies import dichotomies

Point = Sequence[Fraction]
Pair = tuple[int, int]
COVER_STEPS = 20_000  # branches of one exact set cover (`_cover`) before it gives up undecided
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


class Covering:
    """The kink-covering test for the points `points` (labels for the first len(labels))."""

    def __init__(self, points: Sequence[Point], labels: Sequence[Sequence[Fraction]], order: Sequence[int]):
        cells = dichotomies(points)
        self.full = (1 << len(cells)) - 1
        self.inside = [sum(1 << d for d, cell in enumerate(cells) if p in cell) for p in range(len(points))]
        self.order = tuple(order)
        outputs = len(labels[0]) if labels else 0
        self.needs: dict[tuple[int, int], int] = {}  # (o, s) → mask of required pairs
        self.separates: dict[tuple[int, int], list[int]] = {}  # (o, s) → per dichotomy, pairs separated
        for o in range(outputs):
            for s, pairs in required_pairs(points[:len(labels)], [y[o] for y in labels]).items():
                if pairs:
                    self.needs[o, s] = (1 << len(pairs)) - 1
                    self.separates[o, s] = [sum(1 << r for r, (a, c) in enumerate(pairs) if (a in cell) != (c in cell))
                                            for cell in cells]
        # the joint cover's bits: class (o, s)'s pairs shifted by its offset
        self.offsets: dict[tuple[int, int], int] = {}
        offset = 0
        for key, need in self.needs.items():
            self.offsets[key], offset = offset, offset + need.bit_length()
        self.joint_need = sum(need << self.offsets[key] for key, need in self.needs.items())
        self.parts = tuple(need << self.offsets[key] for key, need in self.needs.items())  # the classes' joint bits
        self.joint = len({o for o, _ in self.needs}) > 1  # one class per output and neuron: joint = per class
        self.masks: dict[tuple[int, ...], int] = {(): self.full}
        self.memo: dict[tuple[int, int, int], list[int]] = {}
        self.joint_separated: dict[tuple[int, ...], list[int]] = {}
        self.joint_memo: dict[tuple[tuple[int, ...], int], list[int]] = {}
        self.decided: dict[tuple[int, int, tuple[int, ...]], bool] = {}
        self.joint_decided: dict[tuple[tuple[tuple[int, ...], int], ...], bool] = {}
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
        """The maximal sets of required pairs one neuron with these dichotomies can separate."""
        key = (o, s, mask)
        hit = self.memo.get(key)
        if hit is None:
            sep = self.separates[o, s]
            hit = self.memo[key] = _maximal({sep[d] for d in range(mask.bit_length()) if mask >> d & 1})
        return hit

    def _joint_separates(self, sign: tuple[int, ...]) -> list[int]:
        """Per dichotomy, the tagged required pairs (every class of the orthant `sign`) a neuron with it separates."""
        hit = self.joint_separated.get(sign)
        if hit is None:
            parts = [(self.separates[o, s], self.offsets[o, s]) for o, s in enumerate(sign) if (o, s) in self.needs]
            hit = self.joint_separated[sign] = [sum(sep[d] << offset for sep, offset in parts)
                                                for d in range(self.full.bit_length())]
        return hit

    def _joint_options(self, sign: tuple[int, ...], mask: int) -> list[int]:
        """The maximal sets of tagged required pairs one neuron of this orthant with these dichotomies can separate,
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
        """None if every (output, sign) class can still cover its pairs, each class alone and (m ≥ 2) all jointly;
        else the failing output (−1: only the joint cover fails)."""
        for (o, s), need in self.needs.items():
            masks = tuple(sorted(self.mask(p) for sign, p in zip(signs, prefixes) if sign[o] == s))
            hit = self.decided.get((o, s, masks))
            if hit is None:
                hit = self.decided[o, s, masks] = _cover(need, [self._options(o, s, m) for m in masks])
            if not hit:
                return o
        if self.joint and not self._joint_cover([(tuple(sign), self.mask(p)) for sign, p in zip(signs, prefixes)]):
            return -1
        return None

    def _joint_cover(self, neurons: list[tuple[tuple[int, ...], int]]) -> bool:
        """The joint cover for neurons given as (orthant, dichotomies). The last cover found is kept as a witness —
        per neuron, the dichotomies that give it its share of the pairs — and reused while every neuron still has
        one of them (along a search path the masks only shrink: most nodes pass by it, without a set cover)."""
        if self.witness is not None and len(self.witness) == len(neurons) and all(
                sign == had and (not share or mask & share) for (sign, mask), (had, share) in zip(neurons, self.witness)):
            return True
        key = tuple(sorted(neurons))
        hit = self.joint_decided.get(key)
        if hit is None:
            hit, shares = _find_cover(self.joint_need, [self._joint_options(sign, mask) for sign, mask in neurons],
                                      JOINT_STEPS, self.parts)
            self.joint_decided[key] = hit
            if shares is not None:
                self.witness = [(sign, self._giving(sign, x) if x else 0) for (sign, _), x in zip(neurons, shares)]
        return hit

    def _giving(self, sign: tuple[int, ...], pairs: int) -> int:
        """The dichotomies that separate all these (tagged) pairs for a neuron of this orthant."""
        hit = self.giving.get((sign, pairs))
        if hit is None:
            hit = self.giving[sign, pairs] = sum(1 << d for d, separated in enumerate(self._joint_separates(sign))
                                                 if separated & pairs == pairs)
        return hit


def _maximal(sets: set[int]) -> list[int]:
    """The inclusion-maximal sets (bit masks), largest first."""
    return sorted((x for x in sets if not any(y != x and x & y == x for y in sets)), key=lambda x: -x.bit_count())


def _cover(need: int, options: list[list[int]], steps: int = COVER_STEPS, parts: tuple[int, ...] = ()) -> bool:
    """Can one set from each list (or none) together contain every bit of `need`? (`_find_cover`)"""
    return _find_cover(need, options, steps, parts)[0]


def _find_cover(need: int, options: list[list[int]], steps: int = COVER_STEPS,
                parts: tuple[int, ...] = ()) -> tuple[bool, list[int] | None]:
    """Can one set from each list (or none) together contain every bit of `need`? Exact set cover
    by branching on the bit the fewest sets contain, largest part of `need` first, over the distinct
    lists (equal lists are interchangeable neurons: one branch per set, not per neuron), with memo;
    True as well when that takes more than `steps` branches: undecided, which refutes nothing (sound,
    never a hang). A branch is cut when the lists cannot reach enough bits of `need`, or of its part
    in one of the masks `parts` (each list contributes at most its largest set's bits there).
    With True, a cover when one was found: per list, the part of `need` its set is to give (0: none)."""
    groups = Counter(tuple(opts) for opts in options if opts)
    memo: dict[tuple[int, tuple[tuple[tuple[int, ...], int], ...]], bool] = {}
    left = [steps]
    chosen: list[tuple[tuple[int, ...], int]] = []

    def short(need: int, groups: tuple[tuple[tuple[int, ...], int], ...]) -> bool:
        return any(sum(count * max((x & part).bit_count() for x in opts) for opts, count in groups) < part.bit_count()
                   for part in (need, *(need & p for p in parts)) if part)

    def cover(need: int, groups: tuple[tuple[tuple[int, ...], int], ...]) -> bool:
        if not need:
            return True
        key = (need, groups)
        if key in memo:
            return memo[key]
        left[0] -= 1
        if left[0] < 0:
            return True  # undecided
        found = False
        if not short(need, groups):
            candidates = [{(g, x & need) for g, (opts, _) in enumerate(groups) for x in opts if x >> bit & 1}
                          for bit in range(need.bit_length()) if need >> bit & 1]
            fewest: set[tuple[int, int]] = min(candidates, key=len)
            for g, x in sorted(fewest, key=lambda c: -c[1].bit_count()):
                opts, count = groups[g]
                rest = groups[:g] + (((opts, count - 1),) if count > 1 else ()) + groups[g + 1:]
                if cover(need & ~x, rest):
                    chosen.append((opts, x))
                    found = True
                    break
        memo[key] = found
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
