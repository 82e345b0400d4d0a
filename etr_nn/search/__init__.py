"""The pattern-search engine: exact training by enumerating activation patterns.

Instead of handing the ReLU case splits to a generic solver, the engine enumerates
activation patterns (only hyperplane dichotomies of the data, O(n^d) per neuron, with the
k! neuron symmetry broken), point by point, and refutes partial patterns by exact linear
feasibility (etr_nn.patterns, engine.py). With one output a full pattern is an exact LP, so
single-output answers need no nonlinear solving and sat answers are rational; with m ≥ 2
only a full pattern's fitting system (its rows and rank one as vanishing minors) goes to a nonlinear backend, and partial patterns
are also refuted by combinations of two outputs in which a neuron cancels (an exact LP with one neuron fewer,
cancel.py) and by an exact rank-one test of their eliminated linear part (rankone.py).
Alongside the exhaustive search runs float guidance (guide.py): local fits propose patterns
that are solved (an exact LP once the output columns are fixed; with one output they are
signs, so sat answers stay rational) and certified exactly; unsat answers never rest on it.

Covered: real weights (any d, k, m), zero error or a loss bound γ > 0 (slack and budget rows;
with one output first the decided points' exact least loss, etr_nn.qp: a KKT point for squared
loss, a weak-duality bound for absolute loss); a refutation
certificate only at zero error. Finite weight sets go to etr_nn.discrete.

    search(instance, timeout=None, workers=None, cluster=None, certificate=None, progress=False)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from etr_nn.progress import Progress, wanted
from etr_nn.deadline import NO_LIMIT, Deadline
from etr_nn.files import write_atomically
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.search import certificate as certificates
from etr_nn.search.engine import DIRECTIONS, LEAF_BACKEND, Outcome, Table
from etr_nn.search.parallel import Task, default_workers, run_dask, run_inline, run_local, shallow
from etr_nn.patterns import point_order, sign_choices
from etr_nn.solution import Solution

QUICK_SECONDS = 0.3  # with several workers or a cluster: tried in this process before spawning any (0.3 against
# 1.0, measured: the suite unchanged, PAR-2 10.0 and 10.1 s; random two-output instances 76.4 -> 68.3 s)


def covers(instance: Instance, certificate: bool = False) -> str | None:
    """None if the engine decides the instance, else why not. A loss bound γ > 0 is covered (slack
    rows, etr_nn.patterns.point_rows; with two or more outputs each full pattern by the branch and bound
    on its output directions, directions.py, then the whole bound in its fitting system,
    etr_nn.patterns.loss_atoms), without a refutation certificate."""
    if instance.max_error != 0 and certificate:
        return "refutation certificates cover zero-error instances only"
    return None


def search(instance: Instance, timeout: float | None = None, workers: int | None = None,
           cluster: str | None = None, certificate: str | Path | None = None, progress: bool = False,
           nonlinear: str = LEAF_BACKEND, guide_rest: bool = True) -> Solution:
    """Decide a covered instance exactly; with `certificate`, write the refutation of an unsat one.
    When the search ends undecided before the time limit (leaves left open), the float guide gets the
    rest of the time, unless `guide_rest` is False (a caller with another method for that time).

    The exhaustive search runs in this process: to the end with one worker, else for
    QUICK_SECONDS before the unfinished tasks go to worker processes (or the cluster). The
    float guide runs alongside (guide.py: half of one core's time after the first quarter
    second, times the fraction of sign choices still open among those not decided at depth 1; in
    this process, between polls while workers search, and then after RAMP seconds all of this
    process's time, Guide.share); the first certified network wins."""
    start = time.monotonic()
    deadline = Deadline.after(timeout)
    name = f"pattern search ({nonlinear} for rank-one leaves)" if instance.shape.outputs > 1 else "pattern search"
    order = point_order(instance)
    tasks: list[Task] = [(signs, None) for signs in sign_choices(instance.shape.hidden, instance.shape.outputs)]
    guide = LazyGuide(instance, nonlinear, deadline)
    bar = Progress("pattern search: sign choices", len(tasks), wanted(not progress))
    seen = [0, 0]  # partial patterns explored and refuted in this process
    want = certificate is not None
    workers = workers or default_workers()
    inline = deadline if workers == 1 and not cluster else deadline.sooner(QUICK_SECONDS)

    def here(explored: int, pruned: int, left: int, searched: int) -> None:
        seen[:] = [explored, pruned]
        guide.left = left / max(searched, 1)
        bar.show(len(tasks) - left, explored=explored, refuted=pruned)

    def there(explored: int, pruned: int, left: int, searched: int) -> None:  # workers count from 0
        guide.left = left / max(searched + len(outcomes) - shallow(outcomes), 1)
        bar.show(len(tasks) - left, explored=seen[0] + explored, refuted=seen[1] + pruned)

    table = Table()  # the systems decided in this process, handed to the workers that take over
    outcomes, rest = run_inline(instance, order, tasks, nonlinear, inline, want, here,
                                guide.share if guide else None, table)
    unfinished = len(rest)
    if rest and not any(o.status == "sat" for o in outcomes) and not deadline.passed():
        if cluster:
            more, unfinished = run_dask(cluster, instance, order, rest, nonlinear, deadline, want, there)
        else:
            more, unfinished = run_local(instance, order, rest, workers, nonlinear, deadline, want, there,
                                         guide.beside if guide else None, table)
        outcomes += more
    bar.close()
    solution = _conclude(instance, outcomes, unfinished, len(tasks), start, name, certificate, order, nonlinear)
    if (solution.status == "unknown" and guide_rest and guide is not None and deadline.at is not None
            and not deadline.passed()):
        network = guide.run(deadline)  # the search ended early on undecided leaves: the guide gets the rest
        if network is not None:
            solution = _conclude(instance, [Outcome("sat", network, guided=True)], 0, len(tasks), start, name,
                                 certificate, order, nonlinear)
        solution.seconds = time.monotonic() - start
    return solution


class LazyGuide:
    """The float guide (guide.py), made on first use: instances decided before the guide's first
    turn never import numpy (a tenth of a second or more). `left`: the fraction of the search's
    sign choices still open (of those not decided at depth 1), which weights the guide's share."""

    def __init__(self, instance: Instance, nonlinear: str, deadline: Deadline = NO_LIMIT):
        self.instance, self.nonlinear, self.start, self.deadline = instance, nonlinear, time.monotonic(), deadline
        self.guide: Any = None
        self.left = 1.0

    def _get(self) -> Any:
        if self.guide is None:
            from etr_nn.search.guide import Guide
            self.guide = Guide(self.instance, self.nonlinear, start=self.start)
        return self.guide

    def share(self) -> Network | None:
        return self._get().share(self.left, self.deadline)

    def beside(self) -> Network | None:
        """A turn while the search runs in worker processes (Guide.share: full time after RAMP)."""
        return self._get().share(self.left, self.deadline, beside=True)

    def run(self, until: Deadline) -> Network | None:
        return self._get().run(until)


def _conclude(instance: Instance, outcomes: list[Outcome], unfinished: int, total: int, start: float, name: str,
              certificate: str | Path | None, order: tuple[int, ...], nonlinear: str) -> Solution:
    """The answer the outcomes of the tasks give (`unfinished` of `total` tasks not run to the end)."""
    want = certificate is not None
    seconds = time.monotonic() - start
    explored, pruned = sum(o.explored for o in outcomes), sum(o.pruned for o in outcomes)
    rank_one, loss_bound = sum(o.rank_one for o in outcomes), sum(o.loss_bound for o in outcomes)
    convexity, span = sum(o.convexity for o in outcomes), sum(o.span for o in outcomes)
    kinks, cancelled = sum(o.kinks for o in outcomes), sum(o.cancelled for o in outcomes)
    stats = {"patterns_explored": explored, "patterns_refuted_lp": pruned, "patterns_refuted_kinks": kinks,
             "patterns_refuted_rank_one": rank_one, "patterns_refuted_cancellation": cancelled,
             "patterns_refuted_loss_bound": loss_bound, "patterns_refuted_convexity": convexity,
             "patterns_refuted_span": span, "patterns_refuted_nonlinear": sum(len(o.nonlinear) for o in outcomes)}
    for outcome in outcomes:
        if outcome.status == "sat" and outcome.network is not None:
            how = ("the activation pattern of a float fit (Levenberg–Marquardt), solved exactly"
                   if outcome.guided else "an activation pattern, solved exactly")
            return Solution.certified(instance, outcome.network, name, seconds,
                                      f"{how} ({explored} partial patterns explored)",
                                      {"search": stats | {"guided": outcome.guided}})
    open_parts = [text for o in outcomes for text in o.open]
    if unfinished or open_parts:
        why = (f"{unfinished} of {total} sign choices not finished (time limit)" if unfinished else "")
        why = "; ".join([w for w in [why] + open_parts[:5] if w])
        return Solution(instance.name, "unknown", backend=name, seconds=seconds, rests_on=why,
                        details={"search": stats})
    nonlinear_count = stats["patterns_refuted_nonlinear"]
    rests = (f"pattern search over {total} sign choices: every activation pattern (hyperplane "
             f"dichotomies, neuron symmetry broken) refuted; {pruned} partial patterns by exact linear "
             f"infeasibility (Z3 simplex over Q" + (", Farkas multipliers in the certificate)" if want else ")")
             + (f", {kinks} by kink covering (a data point in the hull of others with its label off their "
                f"interpolation needs a neuron of that output sign whose activation is not constant on them; exact, "
                f"kinks.py)" if kinks else "")
             + (f", {cancelled} by a combination of two outputs in which a neuron cancels (λ = (A[t, j], −A[o, j]): an "
                f"exact simplex with that neuron's unknowns gone and the ratio λ free)" if cancelled else "")
             + (f", {rank_one} by the exact rank-one test of the eliminated linear part (flint, rational "
                f"row reduction)" if rank_one else "")
             + (f", {convexity} by the convexity bound of their sign class (an output convex or concave on each cell "
                f"of the hyperplanes of its at most two neurons of minority output sign: convex regression on the cells, "
                f"an exact weak-duality bound above max_error)" if convexity else "")
             + (f", {loss_bound} by an exact lower bound above max_error on the {instance.loss} loss of their decided "
                f"points and of the points whose activations they force (" + (
                    "QP weak duality, or the exact KKT point: multipliers proposed by a float QP" if instance.loss == "squared"
                    else "LP weak duality: multipliers proposed by a float LP") + ", solved in rationals)"
                if loss_bound else "")
             + (f", {span} by the span of their hidden layer (output layer eliminated: exact linear algebra over Q "
                f"and one LP per neuron)" if span else "")
             + (f", {nonlinear_count} full patterns " + (
                 ("by their exact least squared loss (a KKT point solved in rationals, or Z3 on the KKT system) above "
                  "max_error" if instance.loss == "squared"
                  else "by their exact least absolute loss (an LP, Z3 over Q) above max_error")
                 if instance.max_error and instance.shape.outputs == 1 else _leaf_deciders(outcomes, nonlinear))
                if nonlinear_count else ""))
    if instance.max_error:
        rests += (f"; loss ≤ {instance.max_error} as slack rows e ≥ |residual| with Σ e bounded "
                  + ("(exact for absolute loss)" if instance.loss == "absolute"
                     else "by a rational bound of √(n·γ) (Cauchy–Schwarz)"))
    if want:
        refuted = [entry for o in outcomes for entry in o.refuted]
        doc = certificates.build(instance, order, refuted, [e for o in outcomes for e in o.nonlinear])
        write_atomically(certificate, json.dumps(doc) + "\n")  # type: ignore[arg-type]
        rests += f"; certificate written to {certificate}"
    return Solution(instance.name, "unsat", backend=name, seconds=seconds, rests_on=rests,
                    details={"search": stats})


def _leaf_deciders(outcomes: list[Outcome], nonlinear: str) -> str:
    """Two or more outputs: how many full patterns each leaf procedure refuted."""
    directions = sum(entry["decided_by"] == DIRECTIONS for o in outcomes for entry in o.nonlinear)
    backend = sum(len(o.nonlinear) for o in outcomes) - directions
    if not directions:
        return f"by the nonlinear backend {nonlinear}"
    return f"({directions} by the {DIRECTIONS}" + (f", {backend} by the nonlinear backend {nonlinear})" if backend else ")")


__all__ = ["Outcome", "covers", "search"]
