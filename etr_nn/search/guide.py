"""Float guidance for the search: local fits propose activation patterns, exact checks decide.

Levenberg–Marquardt (`LevenbergMarquardt`, numpy only, BATCH fits at once in one vectorised
step: a finished fit's slot takes the next start) fits the hidden layer in floating point from
random starts, the output layer solved by least squares at every step (variable projection,
`float_fits`; hidden hyperplanes start through one or d data points, or across d of the segments
that kink covering says some hyperplane must cross; some starts first fit with a small weight
penalty, which keeps them away from steep degenerate pairs of neurons; half of the starts are one
of the best fits so far with one neuron drawn afresh, `Elite`). On data with required
segments, fits whose hyperplanes have small integer normals (etr_nn.search.lines: the ∃R
reductions' fits) take turns with those, each source getting half of the guide's time. A fit with
near-zero residual (with max_error = γ > 0: float loss about γ or less) proposes one activation
pattern (S_j: the points where w_j·x + b_j > 0, ties either way since the pattern constraints are
closed) and the direction of every output column. That one pattern is then solved exactly:
- with the columns fixed to rationals read off the float fit (normalised to max-norm 1,
  fact 1), fitting is linear in (w_j, b_j, c): an exact LP (Z3 simplex over Q);
- if that fails (an irrational or badly rounded column), the pattern's fitting system
  goes to the nonlinear backend, as at a leaf of the search;
- with γ > 0 and one output, the pattern's exact convex optimum (etr_nn.optimize.convex);
  with two or more outputs, its fitting system with the loss bound (nonlinear backend).
Floats never decide anything: a proposal only matters through a network that
`etr_nn.certify` accepts, and a failed proposal is discarded (unsat answers always come
from the exhaustive search).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

# The fits' matrices are tiny: BLAS threads would only cost (half of numpy's import time, and
# cores the exhaustive search needs). Effective when this module is the first to import numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from etr_nn.deadline import NO_LIMIT, Deadline

from etr_nn import backends
from etr_nn.certify import certify
from etr_nn.exact.rational import to_float
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.search.directions import Directions
from etr_nn.search.engine import FIRST_LEAF_UNKNOWNS, LEAF_BACKEND
from etr_nn.search.kinks import required_pairs
from etr_nn.search.least_squares import Fit, LevenbergMarquardt, VariableProjection, arrays
from etr_nn.search.lines import line_fits
from etr_nn.lp import feasible_point
from etr_nn.patterns import Layout, Points, fitting_system, with_columns, with_hyperplanes
from etr_nn.optimize.convex import float_pattern_optimum, pattern_optimum

START = 0.25  # seconds of search before the guide's first turn (share)
RAMP = 5.0  # seconds after which the guide beside worker processes takes all of its process's time (share)
FIT_TOLERANCE = 1e-18  # mean squared residual of a float fit worth an exact check
# A fit that ends its evaluations with a mean squared residual below POLISH_BELOW (relative, as
# FIT_TOLERANCE) is near a zero-residual fit, where LM converges fast: it gets POLISH·size more.
# Measured on planted d = 2, k = 6, m = 2, n = 24: 4 942 fits in 30 s, none near zero; the best
# ended at 4.9e-6 for want of evaluations.
POLISH_BELOW, POLISH = 1e-4, 100
# Fits run together in one vectorised step. Measured (benchmarks/guide.py, results/guide.md): fits in
# 10 s of one core, against the one-fit-at-a-time code this replaced: random d = 2, k = 3, m = 2,
# n = 6: 2 252 → 8 598; planted d = 2, m = 2, k = 4, n = 16: 1 815 → 5 802; k = 6, n = 24: 1 369 → 2 349.
# A batch of 64 made about as many on the larger two, 1.4× more on the smallest.
BATCH = 32
PATTERN_SECONDS = 5.0  # at most this long for one pattern's exact convex optimum
# least_fit stops after this many fits without a better loss: d = 1, k = 2, n = 10 (loss benchmark) met
# its best within 0.3 s (62 fits, 31 patterns), then made 3 800 more fits in the rest of 3 s; d = 2,
# k = 3, n = 20 makes about 470 fits in 3 s, improving until 2.4 s
STALE_FITS = 500
# At most this long for one fit's pattern in the nonlinear backend: near-zero fits come many times a
# second, and one that failed its rounding spent 5 s there undecided (random d = 2, n = 5, seed 7).
# Per FIRST_LEAF_UNKNOWNS unknowns (u, c), as a leaf's first try: the √2 reduction's pattern (98) needs 1.2–1.5 s.
SYSTEM_SECONDS = 1.0
# A zero-error fit's output columns or hyperplanes are rounded to rationals with denominators up to each of these.
ROUNDING = (10, 1000, 10 ** 6)
# At most this long for each of those LPs: on planted d = 2, m = 2, k = 8, n = 32, seed 1, near-zero fits of steep
# neuron pairs (a data point within 1e-16 of a hyperplane) had infeasible rounded-column LPs (576 rows) of up to
# 12.3 s; the LPs of the fits that were certified took 0.01–0.1 s.
ROUNDED_SECONDS = 1.0
LOSS_SLACK = 1e-6  # with max_error = γ > 0: a fit with float loss ≤ γ·(1 + this) is worth an exact check
FLOAT_SLACK = 1e-9  # and absolute slack on HiGHS' optimum of a pattern (one output) before its exact optimum
# Weight penalties of a first fit, one drawn per start (0: none). Measured on planted d = 2, m = 2,
# k = 4 data: plain fits often end at a near-zero residual made by two steep opposite neurons.
RIDGES = (0.0, 0.01, 0.1)
# Starts through required segments (`_start`). Measured (near-zero fits, 20 s of one core each, planted d = 2,
# k = 5, m = 2, n = 24, seeds 0–3, two random seeds of the guide): none 129 and 123, a half 173 and 153, all
# 177 and 168; fewer on d = 2, k = 4, m = 2, n = 16 (104 → 88 in 15 s, three guide seeds). On k = 6, n = 24,
# CPU seconds to the guide's first certified network, six runs: 149.6 → 88.0 in all (results/scale-etr_nn-rerun.md).
KINK_STARTS = 0.5
# A share REVIVE of the starts revive one of the ELITE best fits so far, each at most TRIES·k times (`Elite`).
# Measured (`python -m benchmarks.guide --first 5 --seconds 30`, results/guide.md: CPU seconds to the first near-zero
# fit over guide seeds 0–4, a miss counted as 30 s, against none revived), planted d = 2, m = 2: k = 6, n = 24,
# seed 1: 46.9 → 4.0 s, seed 3: 30.0 → 10.0 s; k = 8, n = 32: 124.1 s (4 misses) → 13.4 s (none); the smaller
# instances within a second of it. Fits to the first near-zero one on k = 6, seed 3, guide seeds 10–21 (4 000 at
# most): without revived starts 4 misses, the others 219–3 734; with them none, at most 2 270 (TRIES = 4 or unbounded:
# 1 miss; without the distinct-loss rule of `Elite.offer`, on guide seeds 0–5: 2 misses in 3 000). REVIVE 0.25, 0.75
# and ELITE 16 were no better.
REVIVE, ELITE, TRIES = 0.5, 8, 2
# Evaluations per fit: the fits that reached zero residual on those data took at most 6·size
# (most under 2·size), while the slow, failing ones took half the time at 100·size.


def _start(rng: np.random.Generator, X: np.ndarray, segments: np.ndarray, k: int) -> np.ndarray:
    """A random hidden layer whose hyperplanes split the data, neuron by neuron (w_j, b_j). A share
    KINK_STARTS of the starts on data with required segments (`_segments`) put every hyperplane
    through random inner points of d of them, so that it crosses each; the others put hyperplane j
    through one random data point or, every other one, through d random data points (then shifted a
    little)."""
    n, d = X.shape
    theta = rng.normal(0.0, 1.0, (k, d + 1))
    across = len(segments) >= d and rng.random() < KINK_STARTS
    through_points = d > 1 and n >= d and (across or rng.random() < 0.5)
    for j in range(k):
        if across:
            ends = segments[rng.choice(len(segments), d, replace=False)]
            chosen = ends[:, 0] + rng.uniform(0.1, 0.9, (d, 1)) * (ends[:, 1] - ends[:, 0])
        else:
            chosen = X[rng.choice(n, d if through_points else 1, replace=False)]
        if through_points:  # the normal of the affine hull of the chosen points (if they span one)
            _, values, vt = np.linalg.svd(chosen[1:] - chosen[0])
            if values.size and values[-1] > 1e-9:
                theta[j, :d] = vt[-1] * rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 2.0)
        theta[j, d] = -theta[j, :d] @ chosen[0] + (0.0 if across else rng.normal(0.0, 0.1))
    return theta.ravel()


@dataclass
class _Kept:
    loss: float  # Σ r²
    theta: np.ndarray
    tries: int = 0  # times revived


class Elite:
    """The ELITE least-residual local minima the fits ended at, as hidden layers θ (near-zero ones aside: those go to
    the exact check). Iterated local search: a fit that placed all hyperplanes but one well is one move from a fit of
    the data, and a fresh start rarely makes all k of them; a revived start is an elite θ with one random neuron's
    (w_j, b_j) taken from a fresh start, fitted again (the others move too). Each kept fit is revived at most
    TRIES·k times, then dropped: a minimum that many moves did not leave gives way to others."""

    def __init__(self, floor: float):
        self.floor = floor  # Σ r² at or below this: near zero, not kept
        self.fits: list[_Kept] = []  # least Σ r² first

    def offer(self, loss: float, theta: np.ndarray) -> None:
        """Keep θ if its Σ r² is among the ELITE least and no kept fit's is within a relative 1e-6 of it (the same
        minimum, found again: copies of one fit would crowd out the others)."""
        if loss > self.floor and (len(self.fits) < ELITE or loss < self.fits[-1].loss) and all(
                abs(loss - kept.loss) > 1e-6 * loss for kept in self.fits):
            self.fits.append(_Kept(loss, theta.copy()))
            self.fits.sort(key=lambda kept: kept.loss)
            del self.fits[ELITE:]

    def revived(self, rng: np.random.Generator, fresh: np.ndarray, k: int) -> np.ndarray | None:
        """A kept θ with neuron j's row replaced by fresh's (θ and j random), or None while none is kept."""
        if not self.fits:
            return None
        t = int(rng.integers(len(self.fits)))
        kept = self.fits[t]
        kept.tries += 1
        if kept.tries >= TRIES * k:
            del self.fits[t]
        theta = kept.theta.reshape(k, -1).copy()
        j = rng.integers(k)
        theta[j] = fresh.reshape(k, -1)[j]
        return theta.ravel()


def _segments(instance: Instance, X: np.ndarray) -> np.ndarray:
    """The segments [x_a, x_c] (s × 2 × d) between the required pairs of kink covering, every output
    and sign (kinks.required_pairs): in every zero-error fit some neuron's hyperplane separates x_a
    from x_c. None (an empty array) with a loss bound: the lemma reads labels as exact values."""
    d = X.shape[1]
    if instance.max_error:
        return np.zeros((0, 2, d))
    pairs = {pair for o in range(instance.shape.outputs)
             for found in required_pairs(instance.points, [y[o] for y in instance.labels]).values() for pair in found}
    return np.array([[X[a], X[c]] for a, c in sorted(pairs)]).reshape(-1, 2, d)


def _scale(instance: Instance) -> float:
    """The largest absolute coordinate or label (at least 1): residual tolerances are relative to it."""
    return max([1.0] + [abs(to_float(v)) for x in instance.points for v in x] + [abs(to_float(v)) for y in instance.labels for v in y])


def _residual_unit(instance: Instance) -> float:
    """What the residual tolerances (FIT_TOLERANCE, POLISH_BELOW) multiply: Σ r² of a residual of `_scale` at every
    point and output."""
    return _scale(instance) ** 2 * instance.n * instance.shape.outputs


def float_fits(instance: Instance, rng: np.random.Generator, batch: int = BATCH,
               segments: np.ndarray | None = None) -> Iterator[tuple[Fit, float]]:
    """Local fits from random starts, `batch` at a time (one vectorised Levenberg–Marquardt run):
    (W, b, A, c) and its float loss (Σ r², or Σ |r| for absolute loss with max_error > 0) per fit.
    Variable projection (`VariableProjection`). Measured against Levenberg–Marquardt on all of (W, b, A, c)
    (benchmarks/guide.py, results/guide.md): about as many fits a second, 3–8 times as many near-zero ones
    (about as many with one output on the scale tier). `segments`: `_segments(instance, X)`, if the caller has them."""
    d, k = instance.shape.inputs, instance.shape.hidden
    X, Y = arrays(instance)
    size = k * (d + 1)  # θ: (w_j, b_j) neuron by neuron
    segments = _segments(instance, X) if segments is None else segments
    projection = VariableProjection(X, Y, k)
    unit = _residual_unit(instance)
    polish = POLISH_BELOW * unit
    absolute = instance.loss == "absolute" and instance.max_error > 0
    fits = LevenbergMarquardt(projection.residuals, projection.jacobian, np.zeros((batch, size)))  # every slot begins below
    phase = np.zeros(batch, dtype=int)  # 0: with a weight penalty, 1: the fit, 2: polishing
    elite = Elite(FIT_TOLERANCE * unit)

    def begin(i: int) -> None:
        """A new start in slot i: a share REVIVE of them one of the elite fits with one neuron drawn
        afresh, the others from scratch; for some, first a fit with a small penalty on the hidden
        weights, which keeps it away from degenerate steep pairs of neurons (revived starts too: measured
        with the guide alone, `Guide(instance, seed).run`, guide seeds 0–3, 60 s each, on planted d = 2,
        m = 2, k = 8, n = 32, seeds 0 and 1: 7 of 8 certified, 28.0 CPU s in all on seed 0, against 6 of 8
        and 72.4 s without the penalty there; k = 6, n = 24, seed 3: 4 of 4, 11.7 against 16.8 s)."""
        fresh = _start(rng, X, segments, k)
        revived = elite.revived(rng, fresh, k) if rng.random() < REVIVE else None
        fits.x[i] = fresh if revived is None else revived
        ridge = float(rng.choice(RIDGES))
        phase[i] = 0 if ridge else 1
        fits.restart([i], np.array([ridge]), 50 * size if ridge else 10 * size)

    with np.errstate(over="ignore", invalid="ignore"):  # a diverging fit: its steps are rejected (`residuals`)
        for i in range(batch):
            begin(i)
        while True:
            for i in fits.ended():
                more = phase[i] == 0 or (phase[i] == 1 and fits.cost[i] < polish)
                if more:  # the next phase from where this one ended
                    phase[i] += 1
                    fits.restart([i], np.zeros(1), 10 * size if phase[i] == 1 else POLISH * size)
                    continue
                fit, _ = projection.fit(fits.x[i])  # the slot takes its next start below
                r = fits.r[i]
                squares = float(r @ r)
                elite.offer(squares, fits.x[i])
                yield fit, float(np.abs(r).sum()) if absolute else squares
                begin(i)
            fits.step()


class Guide:
    """Float fits in slices, alongside the exhaustive search: `run(until)` or `share()` return
    a certified network or None; the guide keeps its random state and tried patterns between calls."""

    def __init__(self, instance: Instance, nonlinear: str = LEAF_BACKEND, seed: int = 0, start: float | None = None):
        self.instance, self.nonlinear = instance, nonlinear
        self.X = arrays(instance)[0]
        scale = _scale(instance)
        # Worth an exact check: a near-zero residual; with γ > 0 a float loss about γ or less, and with one
        # output every new pattern (its exact optimum costs milliseconds, and can be far below the fit's own
        # loss: the fits minimise the squared loss, and stop at local minima).
        self.worth = (to_float(instance.max_error) * (1 + LOSS_SLACK) if instance.shape.outputs > 1 else np.inf) \
            if instance.max_error else FIT_TOLERANCE * _residual_unit(instance)
        rng = np.random.default_rng(seed)
        self.fits: Iterator[tuple[Fit, float] | None] | None = None  # none for data past the float range
        if np.isfinite(scale):
            segments = _segments(instance, self.X)
            self.fits = float_fits(instance, rng, segments=segments)
            if len(segments):  # data lines with required kinks, as in the ∃R reductions
                self.fits = _alternate(self.fits, line_fits(instance, rng, self.worth))
        self.tried: set[tuple] = set()
        self.start, self.spent = time.monotonic() if start is None else start, 0.0
        self.granted, self.since = 0.0, self.start + START

    def share(self, weight: float = 1.0, until: Deadline = NO_LIMIT, beside: bool = False) -> Network | None:
        """Run for the guide's share of the time since `start`: none in the first START seconds (easy
        instances end there, without importing numpy), then half of each interval, as two processes
        sharing one core would, times `weight`: the fraction of the exhaustive search's sign choices
        still open, so that the guide yields as the search nears its end (an unsat run with one
        worker then takes 2·ln 2 ≈ 1.4 times its search time, not 2).
        Measured: the hardest planted sat instance of benchmarks/engine.py needs 10–20 s of fits; on
        benchmarks/run.py's suite START = 0.25 s gave a lower PAR-2 than 0.5, 0.5 lower than 1 or 2 s;
        the weight took that instance from 27.0 to 27.5 s and its unsat k − 1 versions from 9.3–14.2 s
        to 7.3–10.4 s, and random two-output instances with one worker from PAR-2 119.4 to 94.2 s.
        Never past `until` (the search's own time limit). `beside`: the search runs in worker processes,
        not in this one; from RAMP seconds on the guide then takes all of this process's time (times
        `weight`): three busy processes on two cores give it 2/3 of one, the workers 4/3 (half of one,
        5/3 before). The search's own speed matters most early, when most instances are decided; the
        planted two-output instances with 6 ReLUs and 24 points are found by the guide alone, after
        1–10 s of its fits (benchmarks/results/scale.md; 10–90 s before revived starts)."""
        now = time.monotonic()
        if now > self.since:
            duty = 1.0 if beside and now - self.start >= RAMP else 0.5
            self.granted += (now - self.since) * duty * weight
            self.since = now
        allowed = self.granted - self.spent
        return self.run(until.sooner(allowed), checks=until) if allowed > 0 else None

    def run(self, until: Deadline, checks: Deadline | None = None) -> Network | None:
        """Float fits until `until`; each near-zero fit's pattern solved exactly, within its own cap and
        `checks` (default `until`): a slice's end must not cut a check short, or the pattern would count
        as tried (the √2 reduction's fit, found in 0.5 s, then never certified in a 600 s solve). None at
        once on data past the float range (a coordinate or label that a float holds only as ±inf)."""
        if self.fits is None:
            return None
        began = time.monotonic()
        checks = until if checks is None else checks
        try:
            while not until.passed():
                item = next(self.fits)
                network = self._exact(*item[0], checks) if item is not None and item[1] <= self.worth else None
                if network is not None:
                    return network
            return None
        finally:
            self.spent += time.monotonic() - began

    def _exact(self, W: np.ndarray, b: np.ndarray, A: np.ndarray, c: np.ndarray, until: Deadline) -> Network | None:
        instance, nonlinear = self.instance, self.nonlinear
        k, m = instance.shape.hidden, instance.shape.outputs
        z = self.X @ W.T + b
        active = [[bool(z[i, j] > 0) for i in range(len(self.X))] for j in range(k)]
        norms = [float(np.abs(A[:, j]).max()) or 1.0 for j in range(k)]
        key = (tuple(map(tuple, active)), tuple(tuple(Fraction(A[o, j] / norms[j]).limit_denominator(1000) for j in range(k))
                                                for o in range(m)))
        if key in self.tried:
            return None
        self.tried.add(key)
        prefixes = tuple(tuple(int(a) for a in row) for row in active)
        signs = tuple(tuple(1 if A[o, j] >= 0 else -1 for o in range(m)) for j in range(k))
        network = None
        if instance.max_error and m == 1:  # the pattern's exact convex optimum (one output), if HiGHS' is within γ
            pattern = fit_pattern(self.X, W, b, A)
            estimate = float_pattern_optimum(instance, pattern)
            if estimate is None or estimate > to_float(instance.max_error) * (1 + LOSS_SLACK) + FLOAT_SLACK:
                return None
            found = pattern_optimum(instance, pattern, until.cap(PATTERN_SECONDS, least=0.1))
            network = found[1] if isinstance(found, tuple) else None
        elif not instance.max_error:
            network = self._rounded(W, b, A / norms, signs, prefixes)
        else:  # m ≥ 2, γ > 0: the fit's output directions (rounded) fixed, the rest an exact convex program
            network = Directions(Points.of(instance, with_loss=True)).at(tuple(range(instance.n)), prefixes, key[1])
        if network is None and m > 1:
            system, decode = fitting_system(Points.of(instance, with_loss=True), signs, tuple(range(instance.n)), prefixes)
            unknowns = Layout(instance.shape.inputs, k, m).size  # (u, c): as the search's leaves scale their first try
            seconds = SYSTEM_SECONDS * max(1.0, unknowns / FIRST_LEAF_UNKNOWNS)
            answer = backends.get(nonlinear).check(system, until.cap(seconds, least=0.1))
            network = decode(answer.point) if answer.status == "sat" else None
        if network is not None and certify(instance, network).valid:
            return network
        return None

    def _rounded(self, W: np.ndarray, b: np.ndarray, A: np.ndarray, signs: tuple[tuple[int, ...], ...],
                 prefixes: tuple[tuple[int, ...], ...]) -> Network | None:
        """A fit with the float fit's pattern and one of its layers rounded to rationals (denominators up to
        each of ROUNDING in turn): with the output columns fixed, fitting is linear in the hyperplanes and c;
        with the hyperplanes (w_j, b_j) fixed (they must satisfy the pattern), linear in A and c; an exact LP each."""
        instance = self.instance
        d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs
        points = Points.of(instance)
        planes = np.hstack([W, b[:, None]])
        planes /= np.maximum(np.abs(planes).max(axis=1, keepdims=True), 1e-300)
        for limit in ROUNDING:
            columns = [[Fraction(A[o, j]).limit_denominator(limit) for j in range(k)] for o in range(m)]
            rows, build = with_columns(points, signs, prefixes, columns)
            point = feasible_point(rows, k * (d + 1) + m, ROUNDED_SECONDS)
            if point is not None:
                return build(point)
            V = [[Fraction(v).limit_denominator(limit) for v in plane] for plane in planes]
            rows, build = with_hyperplanes(points, signs, tuple(range(instance.n)), prefixes, V)
            point = feasible_point(rows, m * k + m, ROUNDED_SECONDS)
            if point is not None:
                return build(point)
        return None


def _alternate(*sources: Iterator[tuple[Fit, float] | None]) -> Iterator[tuple[Fit, float] | None]:
    """The items of several sources, each next one from the source that has taken the least time so far."""
    spent = dict.fromkeys(range(len(sources)), 0.0)
    while spent:
        i = min(spent, key=spent.__getitem__)
        began = time.monotonic()
        try:
            item = next(sources[i])
        except StopIteration:
            del spent[i]
            continue
        spent[i] += time.monotonic() - began
        yield item


def guided(instance: Instance, deadline: Deadline, nonlinear: str = LEAF_BACKEND, seed: int = 0) -> Network | None:
    """A certified network found through float fits before `deadline`, or None."""
    return Guide(instance, nonlinear, seed).run(deadline)


def fit_pattern(X: np.ndarray, W: np.ndarray, b: np.ndarray, A: np.ndarray) -> tuple[tuple[int, frozenset[int]], ...]:
    """A one-output fit's activation pattern as optimize.convex takes it: (sign of A[0, j], the
    points where w_j·x + b_j > 0) per neuron."""
    active = X @ W.T + b > 0
    return tuple((1 if A[0, j] >= 0 else -1, frozenset(np.nonzero(active[:, j])[0].tolist())) for j in range(W.shape[0]))


def least_fit(instance: Instance, until: Deadline, seed: int = 0) -> tuple[Fraction, Network] | None:
    """One output: the least exact loss among the activation patterns of float fits made before
    `until`, or until STALE_FITS fits in a row have not improved it, with its network (each
    pattern's exact convex optimum, etr_nn.optimize.convex; an upper bound on the optimum, attained)."""
    X = arrays(instance)[0]
    fits = float_fits(instance, np.random.default_rng(seed))
    best: tuple[Fraction, Network] | None = None
    tried: set[tuple] = set()
    fruitless = 0  # fits since the best improved
    while not until.passed() and fruitless < STALE_FITS:
        (W, b, A, _), _ = next(fits)
        fruitless += 1
        pattern = fit_pattern(X, W, b, A)
        if pattern in tried:
            continue
        tried.add(pattern)
        estimate = float_pattern_optimum(instance, pattern)
        if estimate is None or (best is not None and estimate >= float(best[0]) * (1 - LOSS_SLACK)):
            continue  # HiGHS sees nothing better here: no exact optimum
        found = pattern_optimum(instance, pattern, until.cap(PATTERN_SECONDS, least=0.1))
        if isinstance(found, tuple) and (best is None or found[0] < best[0]):
            best, fruitless = found, 0
    return best
