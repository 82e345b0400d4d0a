"""Depth-first search over activation patterns, point by point, with exact LP pruning.

A task fixes the closed orthants σ_1 ≤ … ≤ σ_k of the output columns; the search then decides the points
in `order`, one bit per neuron, and keeps the linear system of the partial pattern (the rows
of etr_nn.patterns) in one incremental exact LP per output (etr_nn.lp.ExactLP). With zero error the system
also holds the rows of the later points whose every bit the partial pattern forces (Trie.forced: every
completion has those bits there; FORCED_ROWS). An infeasible partial system refutes every completion (its
rows are a subset of theirs); with zero error, kink covering (kinks.py: non-convex data) refutes before any
simplex, and with m ≥ 2 a combination of two outputs in which a neuron cancels (cancel.py: one simplex per
neuron and pair of outputs, before the outputs' own). At a full pattern:
- m = 1: the system is exactly the fitting problem (etr_nn.patterns); its rational solution
  gives the network with A[0, j] = σ_j, (w_j, b_j) = σ_j·u_j.
- m ≥ 2: if the LP solution happens to be rank one, it gives the network directly; else the
  pattern's fitting system in the LP's own unknowns (its rows, and rank one as vanishing
  2×2 minors of each (u_jo_t)_{o,t}: patterns.fitting_system) goes to the nonlinear backend, first for
  FIRST_LEAF_SECONDS (in proportion above FIRST_LEAF_UNKNOWNS unknowns); the patterns that try leaves
  open are retried with the full time at the end of the task (one hard leaf does not hold up the rest
  of the search, nor the guide). A
  leaf the backend does not refute also tries the hyperplanes of the LP solution with A, c
  solved for (an LP): a rational network where there is one (after the backend, since most
  leaves are refuted, and the backend's linear elimination does that in milliseconds). Under a
  loss bound γ > 0 a full pattern first gets half of that time for a branch and bound on the
  directions of the output columns (directions.py: convex programs and exact bounds only).
Every network found is certified exactly before it is reported.

A caller extends the search through `Hooks` (a pruning rule, extra rows, what a full pattern
yields, an observer of every decision), as the gadget checker does; it never overrides it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Callable

from etr_nn import backends
from etr_nn.certify import certify
from etr_nn.deadline import NO_LIMIT, Deadline
from etr_nn.exact import Number
from etr_nn.exact.rational import to_float
from etr_nn.instance import Instance
from etr_nn.lp import ExactLP, Multipliers, feasible_point
from etr_nn.network import Network
from etr_nn.patterns import (Block, Layout, Point, Points, Prefixes, Row, Sign, Trie, budget_row, children, fitting_system,
                             joined, least_squares_block, lp_network, pattern_rows, point_rows, with_hyperplanes)
from etr_nn.poly import System
from etr_nn.search.cancel import Cancellation
from etr_nn.search.convexity import ConvexityBound
from etr_nn.search.directions import Directions
from etr_nn.search.kinks import Covering
from etr_nn.search.rankone import RankOne
from etr_nn.search.span import span_fit

LEAF_BACKEND = "cad+z3"  # backends/portfolio.py: the own CAD briefly, then nlsat
LEAF_SECONDS = 60.0  # at most this long for the nonlinear backend on one full pattern (else: unknown)
FIRST_LEAF_SECONDS = 1.0  # a first try per full pattern; the ones it leaves open are retried at the end of the task
# ... for leaves of up to this many unknowns (u, c); a bigger leaf's first try is longer in proportion: the √2
# reduction's leaves (98 unknowns) need 1.2–1.5 s of the backend to find their fits (each was deferred at 1 s)
FIRST_LEAF_UNKNOWNS = 32
CONVEXITY_AFTER = 1  # with zero error, the convexity bound joins a search after this many partial patterns per unit of its cost
DIRECTIONS = ("branch and bound on the output columns' directions (convex programs; exact weak-duality bounds "
              "above max_error)")
SIDE_PERIOD = 0.1  # seconds of search between two calls of the side task (the float guide)
# Forced points' rows join the LPs early (zero error; measured with one process: planted d = 2, k = 5, n = 24 as
# k = 4, two outputs 32.5 → 21.6 s and one output 29.9 → 21.0 s, half the partial patterns; random two-output seed 38 even)
FORCED_ROWS = True
# Combinations of two outputs cancelling a neuron (m ≥ 2, zero error, cancel.py), before the outputs' own simplex; measured
# with one process (python -m benchmarks.search): random two-output seed 38 9.9 → 5.7 s, half the partial patterns
CANCELLATION = True
# With cancellation on, the outputs' own simplex skips the partial patterns fewer than NEAR_LEAF points from full: the
# subtree a refutation there saves is small, and cancellation tests every node of it (full patterns: both). Measured
# with one process (python -m benchmarks.search) on random two-output seeds 93, 38, 135: 7.0 / 5.7 / 5.9 s → 5.2 /
# 4.6 / 4.5 s (NEAR_LEAF 1: never skipped; 3, 5, 6: 6.1 / 4.8 / 4.9, 5.1 / 4.3 / 4.6, 5.0 / 4.2 / 5.2 s); the planted
# two-output k − 1 instances of benchmarks/engine.py (16 and 24 points) are decided before it comes into play
NEAR_LEAF = 4


@dataclass
class Outcome:
    """What one task found. `refuted`: partial patterns refuted by an exact LP (with Farkas
    multipliers when certificates are asked for); `nonlinear`: full patterns the nonlinear
    backend refuted; `open`: full patterns left undecided (timeouts, unknown)."""

    status: str  # "sat", "unsat" (every pattern refuted) or "unknown"
    network: Network | None = None
    explored: int = 0
    refuted: list[dict[str, Any]] = field(default_factory=list)
    pruned: int = 0
    nonlinear: list[dict[str, Any]] = field(default_factory=list)
    open: list[str] = field(default_factory=list)
    rank_one: int = 0  # partial patterns refuted by the exact rank-one test (rankone.py)
    convexity: int = 0  # partial patterns refuted by the convexity bound of their sign class (convexity.py)
    kinks: int = 0  # partial patterns refuted by kink covering (kinks.py)
    loss_bound: int = 0  # partial patterns refuted by a lower bound on their completions' loss (_loss_exceeds)
    span: int = 0  # patterns refuted by the span of their hidden layer (span.py)
    cancelled: int = 0  # patterns refuted by an output combination cancelling a neuron (cancel.py)
    guided: bool = False  # the network came from the side task, not from this search
    best: tuple[Fraction, Network] | None = None  # minimising: the incumbent when the task ended
    searched: bool = False  # some partial pattern survived its tests (else the task was decided at depth 1)
    timed_out: bool = False


@dataclass
class Hooks:
    """How a caller extends the search without reaching into it (etr_nn.gadgets.patterns).

    `extra(o, depth, path)`: alternatives (a
    disjunction) of rows joined to output o's system once the point at `depth` is decided along
    `path`, or None; `leaf(signs, prefixes, z)`: what a full pattern whose LP has the solution z
    yields in place of the search for a fit — a network (the search certifies it and ends the
    task with it) or None; `observe(status, o, prefixes)`: sees every decision; `leaf_system(system,
    signs, prefixes)`: sees every fitting system handed to the nonlinear backend (each try)."""

    extra: Callable[[int, int, list[tuple[int, ...]]], list[list[Row]] | None] | None = None
    leaf: Callable[[tuple[Sign, ...], Prefixes, list[Number]], Network | None] | None = None
    observe: Callable[[str, int, Prefixes], None] | None = None
    leaf_system: Callable[[System, tuple[Sign, ...], Prefixes], None] | None = None


@dataclass
class Incumbent:
    """Branch and bound (one output): the least loss found so far and a network with exactly that
    loss. A search given one minimises: every full pattern's exact convex optimum
    (etr_nn.optimize.convex) below `value` replaces it, and a partial pattern whose loss bound
    is at least `value` is pruned; when the search ends, no network has a loss below `value`."""

    value: Fraction
    network: Network
    improved: int = 0

    def offer(self, value: Fraction, network: Network) -> bool:
        """Take (value, network) if it is better; True if taken."""
        if value >= self.value:
            return False
        self.value, self.network = value, network
        self.improved += 1
        return True

    def news(self) -> bool:
        """Better incumbents found elsewhere since the last call (parallel.SharedIncumbent); True
        if one was taken."""
        return False


class Table:
    """Decided output systems: (output, depth, multiset of (σ_jo, bits_j)) → feasible. The key
    determines the system up to renaming the neurons, so its verdict holds for every pattern
    with that key (in any task). A cache of at most LIMIT entries in two generations: when the
    newer reaches LIMIT / 2 the older is dropped, and a hit in the older moves to the newer
    (forgetting costs only simplex calls; measured on 24 points: about 850 bytes an entry, and a
    10-minute search decided 3.5 million systems, 1.9 GB). A subclass may share it between
    processes (parallel.SharedTable)."""

    LIMIT = 1_000_000

    def __init__(self) -> None:
        self.entries: dict[Any, bool] = {}
        self.older: dict[Any, bool] = {}

    def get(self, key: Any) -> bool | None:
        hit = self.entries.get(key)
        if hit is None:
            hit = self.older.get(key)
            if hit is not None:
                self.keep(key, hit)
        return hit

    def put(self, key: Any, feasible: bool) -> None:
        """A system this process decided."""
        self.keep(key, feasible)

    def keep(self, key: Any, feasible: bool) -> None:
        """Record an entry (decided here or received), rotating the generations at LIMIT / 2."""
        self.entries[key] = feasible
        if len(self.entries) >= self.LIMIT // 2:
            self.older, self.entries = self.entries, {}

    def items(self) -> dict[Any, bool]:
        """Every entry kept."""
        return self.older | self.entries


class OutOfTime(Exception):
    pass


class Found(Exception):
    def __init__(self, network: Network):
        self.network = network


class Search:
    """The search for one instance; `run(signs)` does one task.

    The rows of different outputs share no unknowns, so a partial pattern is feasible iff
    each output's system is: one incremental simplex per output, synchronised lazily with
    the search path, and a table of decided systems per output keyed by what determines
    the system up to renaming the neurons — the depth and the multiset of (σ_jo, bits_j).
    The table (`Table`) is shared by all tasks a process runs, and by worker processes
    (parallel.SharedTable). `side` (the float guide) is called every SIDE_PERIOD seconds of
    search; a network it returns (certified) ends the task as sat.
    """

    def __init__(self, instance: Instance, order: tuple[int, ...], nonlinear: str = LEAF_BACKEND,
                 deadline: Deadline = NO_LIMIT, certificates: bool = False,
                 tick: Callable[[int, int], None] | None = None,
                 side: Callable[[], Network | None] | None = None, probes: tuple[Point, ...] = (),
                 hooks: Hooks | None = None, incumbent: Incumbent | None = None, table: Table | None = None):
        self.instance, self.order, self.nonlinear, self.incumbent = instance, order, nonlinear, incumbent
        if incumbent is not None:
            instance = replace(instance, max_error=incumbent.value)
        self.points = Points.of(instance, probes, with_loss=True)
        self.deadline, self.certificates, self.tick, self.side = deadline, certificates, tick, side
        self.multipliers = Multipliers()
        self.hooks = hooks or Hooks()
        self.next_side = time.monotonic() + SIDE_PERIOD
        self.trie = Trie(self.points.coords, order)
        shape = instance.shape
        self.layout = Layout.of(self.points, shape.hidden, shape.outputs)
        self.cell_size = replace(self.layout, n=0).size  # the unknowns (u, c), no slacks: `_decided_loss`
        self.lps = [ExactLP(self.layout.size) for _ in range(self.layout.m)]
        self.known = table if table is not None else Table()
        self.cache: dict[Any, Any] = {}  # compiled blocks of point rows
        # Certificates list LP refutations only, so the rank-one test is off when they are asked for.
        # The rank-one test reads labels as equations: not with a loss bound.
        self.rank_one = (RankOne(self.points, order) if shape.outputs > 1 and not certificates
                         and self.points.loss is None else None)
        # Output combinations cancelling a neuron (m ≥ 2) read labels as equations; a refutation by one is neither an
        # LP refutation of the pattern's rows (certificates) nor a rule the gadget checker's proofs record (hooks).
        self.cancellation = (Cancellation(self.points, order, shape.hidden, shape.outputs) if CANCELLATION
                             and shape.outputs > 1 and not certificates and self.points.loss is None and hooks is None else None)
        # The span test (m ≥ 2, zero error, k ≤ m + 1) from the depth where V'_j + L (of dimension at most
        # d + m + 2) can be a proper subspace of the decided labels' space.
        self.span_depth = (shape.inputs + shape.outputs + 3 if shape.outputs > 1 and shape.hidden <= shape.outputs + 1
                           and not certificates and self.points.loss is None else None)
        # Kink covering reads labels as exact values: zero error only (its lemma, kinks.py); a certificate lists LP
        # refutations only. None as well when no data ask for a kink.
        self.covering = (Covering(self.points.coords, self.points.labels, order)
                         if self.points.loss is None and not certificates else None) or None
        # Forced rows make a refuted system more than its partial pattern's rows: not in a refutation certificate
        # (Farkas multipliers of those rows), nor under a caller's hooks; with a loss bound the budget rows count points.
        self.forced_rows = FORCED_ROWS and self.points.loss is None and not certificates and hooks is None
        self.forced_at: dict[int, tuple[tuple[tuple[int, ...], ...], list[tuple[int, tuple[int, ...]]]]] = {}
        self.convexity = (ConvexityBound(self.points, order, minimising=incumbent is not None)
                          if not certificates else None)
        # one output, a loss bound: the least loss of the decided and forced points decides before any simplex (`_convex`)
        self.convex = shape.outputs == 1 and self.points.loss is not None and not certificates and hooks is None
        # m ≥ 2, a loss bound: full patterns by branch and bound on the output columns' directions first (directions.py)
        self.directions = Directions(self.points) if shape.outputs > 1 and self.points.loss is not None else None
        self.gamma = self.points.loss[1] if self.points.loss else Fraction(0)  # the loss bound (0: zero error)
        self.explored = 0  # partial patterns explored by every task so far (CONVEXITY_AFTER)
        self.path_guesses: dict[int, tuple[Prefixes, list[tuple[int, Block]], Any]] = {}  # `_guess`: depth → (partial pattern, its blocks, its guess)
        self.absolute_path: Any = None  # `_float_least`: the HiGHS LP of the search path, absolute loss

    def run(self, signs: tuple[Sign, ...], start: Prefixes | None = None) -> Outcome:
        """One task: every pattern of the sign choice `signs`, or (`start`, a partial pattern that
        `frontier` kept) every one that completes `start`."""
        self._begin(signs)
        start = start if start is not None else tuple(() for _ in signs)
        try:
            if not self._dfs(start, list(zip(*start))):
                self._retry_deferred()
        except OutOfTime:
            self.outcome.status, self.outcome.timed_out = "unknown", True
            self.outcome.open.append("time limit reached")
        except Found as found:
            self.outcome.status, self.outcome.network, self.outcome.guided = "sat", found.network, True
        return self._end()

    def frontier(self, signs: tuple[Sign, ...], depth: int) -> tuple[list[Prefixes], Outcome]:
        """The sign choice's search down to `depth` points (less than all): the partial patterns of
        that depth that survive every test, theirs and their ancestors' — their completions, `run`
        with each as `start`, are every pattern of the sign choice the search must still look at —
        and the outcome of the work done above them (status "unknown" at the time limit)."""
        assert depth < len(self.order)
        self._begin(signs)
        level: list[Prefixes] = [tuple(() for _ in signs)]
        try:
            for _ in range(depth):
                survivors = []
                for prefixes in level:
                    if self.deadline.passed():
                        raise OutOfTime
                    path = list(zip(*prefixes))
                    for bits in children(self.signs, prefixes, self.trie, self._viable(prefixes)):
                        extended = tuple(prefix + (b,) for prefix, b in zip(prefixes, bits))
                        path.append(bits)
                        if self._explore(extended, path) == "sat":
                            survivors.append(extended)
                        path.pop()
                level = survivors
        except OutOfTime:
            self.outcome.status, self.outcome.timed_out = "unknown", True
            self.outcome.open.append("time limit reached")
        return level, self._end()

    def _begin(self, signs: tuple[Sign, ...]) -> None:
        self.signs, self.outcome, self.ticked = signs, Outcome("unsat"), 0
        for lp in self.lps:
            lp.clear()
        if self.cancellation is not None:
            self.cancellation.begin(signs)
        self.deferred: list[Prefixes] = []
        self.path_guesses.clear()

    def _end(self) -> Outcome:
        if self.outcome.status == "unsat" and self.outcome.open:
            self.outcome.status = "unknown"
        if self.incumbent is not None:
            self.outcome.best = (self.incumbent.value, self.incumbent.network)
        return self.outcome

    def _constraint(self, o: int, p: int, bits: tuple[int, ...]) -> Any:
        key = (o, tuple(s[o] for s in self.signs), p, bits)
        if key not in self.cache:
            rows = point_rows(self.points, self.layout, self.signs, p, bits, (o,))
            self.cache[key] = self.lps[o].compile([rows])
        return self.cache[key]

    def _budget(self, o: int, depth: int) -> tuple[Any, ...]:
        """Output o's budget row at this depth, compiled once (none without a loss bound)."""
        key = ("budget", o, depth, self.points.loss)
        if key not in self.cache:
            row = budget_row(self.points, self.layout, self.order, depth, o)
            self.cache[key] = (self.lps[o].compile([[row]]),) if row else ()
        return self.cache[key]

    def _sync(self, o: int, path: list[tuple[int, ...]]) -> ExactLP:
        """Make LP o hold exactly the rows of output o along `path`."""
        def blocks(t: int) -> list[Any]:
            alternatives = self.hooks.extra(o, t, path[:t + 1]) if self.hooks.extra else None
            extra = [self.lps[o].compile(alternatives)] if alternatives else []
            return [*[self._constraint(o, self.order[s], bits) for s, bits in self._level(path, t)], *extra,
                    *self._budget(o, t + 1)]
        return self.lps[o].follow(path, blocks)

    def _level(self, path: list[tuple[int, ...]], t: int) -> list[tuple[int, tuple[int, ...]]]:
        """The positions (in the order) whose point rows level t of the LPs adds, with their bits: t itself, and with
        `forced_rows` the later positions that the partial pattern of depth t + 1 forces and depth t did not, less t
        when depth t forced it (its rows are in already; a forced bit is the only one the trie offers there)."""
        if not self.forced_rows:
            return [(t, path[t])]
        before = dict(self._forced(path, t))
        return ([] if t in before else [(t, path[t])]) + [(s, bits) for s, bits in self._forced(path, t + 1)
                                                          if s not in before]

    def _forced(self, path: list[tuple[int, ...]], depth: int) -> list[tuple[int, tuple[int, ...]]]:
        """Trie.forced of the partial pattern path[:depth], kept per depth for the path it was found on (every
        output's LP and the next level ask for it again)."""
        prefix = tuple(path[:depth])
        kept = self.forced_at.get(depth)
        if kept is None or kept[0] != prefix:
            kept = self.forced_at[depth] = (prefix, self.trie.forced(tuple(zip(*prefix))) if depth else [])
        return kept[1]

    def _status(self, prefixes: Prefixes, path: list[tuple[int, ...]]) -> tuple[str, int]:
        status, o = self._decide(prefixes, path)
        if self.hooks.observe:
            self.hooks.observe(status, o, prefixes)
        return status, o

    def _decide(self, prefixes: Prefixes, path: list[tuple[int, ...]]) -> tuple[str, int]:
        """("sat" | "unsat" | "unknown", the output that decided it) for a partial pattern: "unsat" when
        output o's own system is infeasible (`_outputs`; with cancellation not tried fewer than NEAR_LEAF
        points from full); ("kink", o) when kink covering refutes output o's system first (kinks.py); ("convex", −1)
        when the convexity bound of the sign class does (convexity.py, before any simplex); ("cancel", −1) when a
        combination of two outputs cancelling a neuron has no solution (cancel.py: a smaller simplex than an
        output's, and it refutes most of what those do); ("rank", −1) when the rank-one test refutes it; ("span", −1) when the span of
        the hidden layer does (span.py; full patterns: in `_leaf`); ("loss", −1) when a lower
        bound on the loss of every completion exceeds γ (`_loss_exceeds`); with one output and squared
        loss bound, the decided and forced points' least loss first (`_convex`)."""
        if self.covering is not None:
            uncovered = self.covering.feasible(self.signs, prefixes)
            if uncovered is not None:
                return "kink", uncovered
        least = self._convex(prefixes) if self.convex else None  # the cheaper bound first
        if least == "loss":
            return "loss", -1
        if (self.convexity is not None and (self.points.loss is not None or self.explored >= CONVEXITY_AFTER * self.convexity.cost)
                and self.convexity.refutes(self.signs, prefixes, self.gamma, self.deadline.passed)):
            return "convex", -1
        if least is not None:
            return least, -1
        if self.cancellation is not None and self.cancellation.refutes(prefixes, path, self.known):
            return "cancel", -1
        if self.cancellation is None or not 0 < len(self.order) - len(path) < NEAR_LEAF:
            status, o = self._outputs(prefixes, path)
            if status != "sat":
                return status, o
        if self.rank_one is not None and self.rank_one.refutes(self.signs, prefixes):
            return "rank", -1
        if (self.span_depth is not None and self.span_depth <= len(path) < len(self.order)
                and span_fit(self.points, self.signs, self.order, prefixes) == "unsat"):
            return "span", -1
        if self.points.loss is not None and self._loss_exceeds(prefixes):
            return "loss", -1
        return "sat", 0

    def _outputs(self, prefixes: Prefixes, path: list[tuple[int, ...]]) -> tuple[str, int]:
        """("sat", 0) when every output's own system is feasible, else ("unsat" | "unknown", the output): the table
        of decided systems first, then the simplex."""
        keys = [(len(path), tuple(sorted((sign[o], prefix) for sign, prefix in zip(self.signs, prefixes))))
                for o in range(self.layout.m)]
        hits = [self.known.get((o, key)) for o, key in enumerate(keys)]
        if False in hits:  # an output's system decided infeasible before: no simplex for the others
            return "unsat", hits.index(False)
        for o, key in enumerate(keys):
            if hits[o] is None:
                result = self._sync(o, path).check()
                if result == "unknown":
                    return "unknown", o
                self.known.put((o, key), result == "sat")
                if result == "unsat":
                    return "unsat", o
        return "sat", 0

    def _loss_exceeds(self, prefixes: Prefixes) -> bool:
        """Is a lower bound on the loss of every completion above γ (when minimising: at least γ, the
        incumbent)? The decided and forced points' least loss on the partial pattern's cell, the
        rank-one condition of m ≥ 2 dropped (`_decided_loss`): it couples the outputs, which the
        simplex's budget rows (one system per output) do not."""
        least = self._decided_loss(prefixes)
        return isinstance(least, Fraction) and self._exceeds(least)

    def _exceeds(self, bound: Fraction) -> bool:
        assert self.points.loss is not None
        return bound > self.points.loss[1] or (self.incumbent is not None and bound >= self.points.loss[1])

    def _convex(self, prefixes: Prefixes) -> str | None:
        """One output, a loss bound: "loss" when an exact lower bound of the decided points' least
        loss on the partial pattern's cell exceeds γ; "sat" (explore further) when the float
        solver found a point of the cell, with any loss (a float never prunes); None when it found
        none, or with absolute loss when no exact bound confirms the float's: the exact simplex
        decides. No simplex runs for a pattern the float solver settles: a cell thought nonempty that
        is not only costs its subtree's search, and every full pattern's optimum is exact
        (etr_nn.optimize.convex.pattern_optimum)."""
        least = self._decided_loss(prefixes)
        if isinstance(least, Fraction) and self._exceeds(least):
            return "loss"
        return None if least is None else "sat"

    def _decided_loss(self, prefixes: Prefixes) -> Fraction | float | None:
        """The least loss (Σ residual² or Σ |residual|) of the decided points and of the points whose
        every bit the partial pattern forces (Trie.forced: each completion has those bits, so their
        rows hold and their residuals count) on the partial pattern's cell (`_blocks`, etr_nn.qp):
        when a float value exceeds γ, an exact one (a Fraction: a lower bound by weak duality from the
        float minimiser's multipliers, or with squared loss where that bound does not exceed γ the
        minimum at the KKT point of its active set; kept, like the LP table, for every pattern equal up
        to renaming the neurons) or, when that fails, the float value (squared loss: a guess at least
        the minimum) or None (absolute loss: the exact simplex with its budget rows decides); else a
        float value at least the minimum; None when the float solver found no point of the cell."""
        from etr_nn import qp  # numpy and HiGHS: imported only when a loss bound needs them

        assert self.points.loss is not None
        depth, gamma = len(prefixes[0]), to_float(self.points.loss[1])
        exact_key = ("least", depth, tuple(sorted(zip(self.signs, prefixes))))
        if exact_key in self.cache:
            return self.cache[exact_key]  # type: ignore[no-any-return]
        blocks = self._blocks(prefixes)
        if not any(residuals for _, (_, residuals) in blocks):
            return 0.0  # no residual yet
        guess = self._guess(prefixes, blocks)
        if guess is None or guess.value <= gamma:
            return None if guess is None else guess.value
        if guess.duals is None:  # a point inherited from the parent: the minimiser decides
            guess = self._float_least(blocks)
            self.path_guesses[depth] = (prefixes, blocks, guess)
            if guess is None or guess.value <= gamma:
                return None if guess is None else guess.value
        rows, residuals = joined([block for _, block in blocks])
        if self.points.loss[0] == "absolute":
            bound = qp.absolute_bound(rows, residuals, self.cell_size, guess)
            if bound is None:
                return None
            self.cache[exact_key] = bound
        else:  # the weak-duality bound; the exact minimum (a KKT point) only where that does not decide
            bound = qp.squared_bound(rows, residuals, self.cell_size, guess)
            if bound is None or not self._exceeds(bound):
                exact = qp.exact_minimum(rows, residuals, self.cell_size, guess)
                bound = bound if exact is None else exact.value
            self.cache[exact_key] = guess.value if bound is None else bound
        return self.cache[exact_key]  # type: ignore[no-any-return]

    def _blocks(self, prefixes: Prefixes) -> list[tuple[int, Block]]:
        """(position in the order, its point's block of `least_squares_problem`: cell rows and residuals
        in (u, c)) for the decided points and the points every completion has forced bits at, by position."""
        return [(t, least_squares_block(self.points, self.signs, self.order[t], bits))
                for t, bits in [*enumerate(zip(*prefixes)), *self.trie.forced(prefixes)]]

    def _guess(self, prefixes: Prefixes, blocks: list[tuple[int, Block]]) -> Any:
        """A float point of the partial pattern's cell and its loss over `blocks` (qp.Guess), kept for
        the patterns on the search path (`path_guesses`, by depth): the parent's point, when it satisfies
        the rows of the blocks the parent had not (its value then grows by their residuals'; not a
        minimiser: `duals` None), else HiGHS' minimiser; None when HiGHS finds no point."""
        from etr_nn import qp

        assert self.points.loss is not None
        depth = len(prefixes[0])
        kept = self.path_guesses.get(depth)
        if kept is not None and kept[0] == prefixes:
            return kept[2]
        parent = self.path_guesses.get(depth - 1)
        guess = None
        if parent is not None and parent[0] == tuple(prefix[:-1] for prefix in prefixes) and parent[2] is not None:
            had = {t for t, _ in parent[1]}
            guess = qp.extended(parent[2], *joined([block for t, block in blocks if t not in had]), self.points.loss[0])
        if guess is None:
            guess = self._float_least(blocks)
        self.path_guesses[depth] = (prefixes, blocks, guess)
        return guess

    def _float_least(self, blocks: list[tuple[int, Block]]) -> Any:
        """HiGHS' minimiser of the blocks' loss on their cell (qp.Guess) or None: with absolute loss from
        the LP of the search path, re-optimised from its last basis (qp.AbsolutePath)."""
        from etr_nn import qp

        assert self.points.loss is not None
        if self.points.loss[0] == "absolute":
            if self.absolute_path is None:
                self.absolute_path = qp.AbsolutePath(self.cell_size)
            return self.absolute_path.minimum([block for _, block in blocks])
        return qp.float_minimum(*joined([block for _, block in blocks]), self.cell_size)

    def _dfs(self, prefixes: Prefixes, path: list[tuple[int, ...]]) -> bool:
        """Explore below a feasible partial pattern; True when a certified network was found."""
        depth = len(path)
        if depth == len(self.order):
            return self._leaf(prefixes, path)
        if self.deadline.passed():
            raise OutOfTime
        if time.monotonic() >= self.next_side:
            self._side_turn()
        for bits in children(self.signs, prefixes, self.trie, self._viable(prefixes)):
            extended = tuple(prefix + (b,) for prefix, b in zip(prefixes, bits))
            path.append(bits)
            if self._explore(extended, path) == "sat" and self._dfs(extended, path):
                return True
            path.pop()
        return False

    def _viable(self, prefixes: Prefixes) -> Callable[[tuple[int, ...]], bool] | None:
        """Kink covering on the children's partial bit vectors (Covering.viable), each rejection counted as one
        refutation and as one partial pattern of the work that brings in the convexity bound (CONVEXITY_AFTER); not
        for an observer of every decision (the gadget checker's proofs list every child)."""
        covering = self.covering
        if covering is None or self.hooks.observe is not None:
            return None

        def viable(partial: tuple[int, ...]) -> bool:
            if covering.viable(self.signs, prefixes, partial):
                return True
            self.outcome.kinks += 1
            self.explored += 1
            return False
        return viable

    def _explore(self, prefixes: Prefixes, path: list[tuple[int, ...]]) -> str:
        """Decide a child partial pattern (`_status`) and count it: its status."""
        self.outcome.explored += 1
        self.explored += 1
        if self.outcome.explored % 64 == 0:
            if self.tick:
                self.tick(64, self.outcome.pruned - self.ticked)
                self.ticked = self.outcome.pruned
            if self.incumbent is not None and self.incumbent.news():
                self._bound_by_incumbent()
        status, o = self._status(prefixes, path)
        self.outcome.searched |= status == "sat"
        if status == "unsat":
            self._refuted(prefixes, o)
        elif status == "rank":
            self.outcome.rank_one += 1
        elif status == "convex":
            self.outcome.convexity += 1
        elif status == "span":
            self.outcome.span += 1
        elif status == "cancel":
            self.outcome.cancelled += 1
        elif status == "kink":
            self.outcome.kinks += 1
        elif status == "loss":
            self.outcome.loss_bound += 1
        elif status == "unknown":
            self.outcome.open.append(f"{self._label(prefixes)}: simplex answered unknown")
        return status

    def _side_turn(self) -> None:
        """Give the side task its turn; a network from it ends the task."""
        if self.side is not None:
            network = self.side()
            if network is not None:
                raise Found(network)
        self.next_side = time.monotonic() + SIDE_PERIOD

    def _refuted(self, prefixes: Prefixes, o: int) -> None:
        self.outcome.pruned += 1
        if not self.certificates:
            return
        rows = pattern_rows(self.points, self.signs, self.order, prefixes, (o,))
        y = self.multipliers(rows)
        if y is None:  # cannot happen for an infeasible system (Farkas' lemma)
            self.outcome.open.append(f"{self._label(prefixes)}: no Farkas certificate found")
            return
        self.outcome.refuted.append(self._entry(prefixes) | {"output": o, "farkas": [str(v) for v in y]})

    def _entry(self, prefixes: Prefixes) -> dict[str, Any]:
        """A pattern as the outcome's lists (and certificates) record it: its signs and bits."""
        return {"signs": [list(s) for s in self.signs], "bits": ["".join(map(str, b)) for b in prefixes]}

    def _label(self, prefixes: Prefixes) -> str:
        return "signs " + str([list(s) for s in self.signs]) + ", bits " + str(["".join(map(str, b)) for b in prefixes])

    def _leaf(self, prefixes: Prefixes, path: list[tuple[int, ...]]) -> bool:
        if self.convex:  # the full pattern's exact convex program; its simplex may not have run
            if self.incumbent is not None:
                self._improve(prefixes)
                return False
            return self._least_loss(prefixes)
        z: list[Number] = [Fraction(0)] * self.layout.size
        for o in range(self.layout.m):
            lp = self._sync(o, path)
            if lp.check() != "sat":  # decided feasible before, so this cannot happen
                self.outcome.open.append(f"{self._label(prefixes)}: simplex lost its model")
                return False
            unknowns = [self.layout.c(o)] + [self.layout.u(j, o, t) for j in range(self.layout.k)
                                             for t in range(self.layout.d + 1)]
            for v, value in lp.point(unknowns).items():
                z[v] = value
        if self.hooks.leaf:
            network = self.hooks.leaf(self.signs, prefixes, z)
            return network is not None and self._accept(network, prefixes)
        if self.incumbent is not None:
            self._improve(prefixes)
            return False
        network = lp_network(z, self.signs, self.layout)
        if network is not None and self.points.loss is not None and not certify(self.instance, network).valid:
            network = None  # under a loss bound each output's LP met only its own share of it
        if network is None and self.points.loss is not None and self.layout.m == 1:
            return self._least_loss(prefixes)  # squared loss (with absolute loss the LP solution fits)
        if network is None and self.span_depth is not None:  # the output layer eliminated: linear algebra
            decided = span_fit(self.points, self.signs, self.order, prefixes)
            if decided == "unsat":
                self.outcome.span += 1
                return False
            network = decided
        if network is None:
            refuted = len(self.outcome.nonlinear)
            network = self._nonlinear(prefixes, FIRST_LEAF_SECONDS * max(1.0, self.cell_size / FIRST_LEAF_UNKNOWNS))
            if len(self.outcome.nonlinear) == refuted and self.points.loss is None:  # not refuted: a rational fit?
                rational = next((net for lead in range(self.layout.m) if (net := self._with_hyperplanes(z, prefixes, lead))),
                                None)
                if rational is not None and prefixes in self.deferred:
                    self.deferred.remove(prefixes)
                network = rational or network
        return network is not None and self._accept(network, prefixes)

    def _least_loss(self, prefixes: Prefixes) -> bool:
        """One output, loss ≤ γ: the full pattern's least loss is a convex program, decided exactly
        (a QP by its KKT system, an LP by the exact simplex: etr_nn.optimize.convex.pattern_optimum);
        the simplex of the partial patterns only bounded the residuals, or did not run (`_convex`)."""
        from etr_nn.optimize.convex import pattern_optimum

        found = pattern_optimum(self.instance, self._pattern(prefixes), self.deadline.cap(LEAF_SECONDS, least=0.1))
        entry = self._entry(prefixes)
        program = "QP" if self.instance.loss == "squared" else "LP"
        if found == "unknown":
            self.outcome.open.append(f"{self._label(prefixes)}: the exact {program} gave no answer in time")
        elif found is None or found[0] > self.instance.max_error:
            self.outcome.nonlinear.append(entry | {"decided_by": f"exact {program}: the least {self.instance.loss} loss "
                                                                 "exceeds max_error"})
        else:
            return self._accept(found[1], prefixes)
        return False

    def _improve(self, prefixes: Prefixes) -> None:
        """Minimising (one output): the full pattern's exact convex optimum, if below the incumbent's,
        and certified, becomes the incumbent, and the bound γ of every later row and test with it."""
        from etr_nn.optimize.convex import pattern_optimum

        assert self.incumbent is not None and self.points.loss is not None
        found = pattern_optimum(self.instance, self._pattern(prefixes), self.deadline.cap(LEAF_SECONDS, least=0.1))
        if found == "unknown":
            self.outcome.open.append(f"{self._label(prefixes)}: the exact convex program gave no answer in time")
        elif found is not None and found[0] < self.incumbent.value and certify(self.instance, found[1]).loss == found[0]:
            self.incumbent.offer(*found)
            self._bound_by_incumbent()

    def _bound_by_incumbent(self) -> None:
        """γ of every later row and test: the incumbent's loss."""
        assert self.incumbent is not None and self.points.loss is not None
        self.points = replace(self.points, loss=(self.points.loss[0], self.incumbent.value))

    def _pattern(self, prefixes: Prefixes) -> tuple[tuple[int, frozenset[int]], ...]:
        """A full pattern of one output as optimize.convex takes it: (σ_j, activation set S_j)."""
        return tuple((sign[0], frozenset(self.order[t] for t, bit in enumerate(bits) if bit))
                     for sign, bits in zip(self.signs, prefixes))

    def _retry_deferred(self) -> None:
        """The full patterns the first try left open, now with the full time (LEAF_SECONDS each)."""
        for prefixes in self.deferred:
            self._side_turn()
            if self.deadline.passed():
                raise OutOfTime
            network = self._nonlinear(prefixes, LEAF_SECONDS)
            if network is not None and self._accept(network, prefixes):
                return

    def _accept(self, network: Network, prefixes: Prefixes) -> bool:
        """Certify a network; if valid, it is the task's answer."""
        check = certify(self.instance, network)
        if not check.valid:
            self.outcome.open.append(f"{self._label(prefixes)}: network failed the exact check "
                                     f"({'; '.join(check.problems)})")
            return False
        self.outcome.status, self.outcome.network = "sat", network
        return True

    def _with_hyperplanes(self, z: list[Number], prefixes: Prefixes, lead: int) -> Network | None:
        """A cheap try before the nonlinear backend: keep the hyperplanes v_j = σ_j,lead·u_j,lead
        of the LP solution (they satisfy the pattern) and solve for A and c in their orthants,
        which is linear once the v_j are fixed (patterns.with_hyperplanes)."""
        L = self.layout
        V = [[self.signs[j][lead] * z[L.u(j, lead, t)] for t in range(L.d + 1)] for j in range(L.k)]
        if not all(isinstance(v, Fraction) for row in V for v in row):
            return None
        rows, network = with_hyperplanes(self.points, self.signs, self.order, prefixes, V)  # type: ignore[arg-type]
        point = feasible_point(rows, L.m * L.k + L.m)
        return None if point is None else network(point)

    def _nonlinear(self, prefixes: Prefixes, seconds: float) -> Network | None:
        """Decide the fitting system of a full pattern (patterns.fitting_system) with the nonlinear backend, for at most
        `seconds` (m ≥ 2 under a loss bound: half of them for the branch and bound on the output columns' directions
        first, directions.py); a first try (seconds < LEAF_SECONDS) that ends undecided is deferred."""
        share = seconds / 2 if self.directions is not None else seconds
        if self.directions is not None:
            decided = self.directions.decide(self.signs, self.order, prefixes,
                                             Deadline.after(self.deadline.cap(share, least=0.05)))
            if decided == "unsat":
                self.outcome.nonlinear.append(self._entry(prefixes) | {"decided_by": DIRECTIONS})
                return None
            if decided is not None:
                return decided
        system, decode = fitting_system(self.points, self.signs, self.order, prefixes)
        if self.hooks.leaf_system:
            self.hooks.leaf_system(system, self.signs, prefixes)
        limit = self.deadline.cap(share, least=0.1)
        answer = backends.get(self.nonlinear).check(system, limit)
        if answer.status == "sat":
            network = decode(answer.point)
            if network is None:  # a model of the system is rank one, so this cannot happen
                self.outcome.open.append(f"{self._label(prefixes)}: the backend's model is not rank one")
            return network
        entry = self._entry(prefixes) | {"decided_by": f"nonlinear backend: {self.nonlinear} ({answer.reason})"}
        if answer.status == "unsat":
            self.outcome.nonlinear.append(entry)
        elif seconds < LEAF_SECONDS and limit == share:
            self.deferred.append(prefixes)
        else:
            self.outcome.open.append(f"{self._label(prefixes)}: {answer.reason}")
        return None
