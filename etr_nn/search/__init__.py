"""The pattern-search engine: exact training by enumerating activation patterns.

Instead of handing the ReLU case splits to a generic solver, the engine enumerates
activation patterns (only hyperplane dichotomies of the data, O(n^d) per neuron, with the
k! neuron symmetry broken), point by point, and refutes partial patterns by exact linear
feasibility (patterns.py, engine.py). With one output a full pattern is an exact LP, so
single-output answers need no nonlinear solving and sat answers are rational; with m ≥ 2
only the rank-one residual of a full pattern goes to a nonlinear backend. After a one-second
exhaustive attempt, m ≥ 2 instances get a few seconds of float guidance (guide.py): local
fits propose patterns that are solved and certified exactly; unsat answers never rest on it.

Covered: real weights and zero error (any d, k, m). Not covered (the caller falls back to
the direct encoding): max_error > 0 (finite weight sets go to etr_nn.discrete).

    search(instance, timeout=None, workers=None, cluster=None, certificate=None, progress=False)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from etr_nn.certify import certify
from etr_nn.instance import Instance
from etr_nn.search import certificate as certificates
from etr_nn.search.engine import Outcome
from etr_nn.search.guide import guided
from etr_nn.search.parallel import default_workers, progress_printer, run_dask, run_local
from etr_nn.search.patterns import point_order, sign_choices
from etr_nn.solution import Solution

QUICK_SECONDS = 1.0  # m ≥ 2: exhaustive search tried this long before float guidance
GUIDE_SECONDS = 3.0  # m ≥ 2: float-guided proposals tried for at most this long


def covers(instance: Instance) -> str | None:
    """None if the engine decides the instance, else why not."""
    if instance.max_error != 0:
        return "max_error > 0 is not covered by the pattern search"
    return None


def search(instance: Instance, timeout: float | None = None, workers: int | None = None,
           cluster: str | None = None, certificate: str | Path | None = None, progress: bool = False,
           nonlinear: str = "z3") -> Solution:
    """Decide a covered instance exactly; with `certificate`, write the refutation of an unsat one.

    With m ≥ 2: a short exhaustive search first (easy instances, unsat ones above all, end
    there), then float guidance, then the exhaustive search for the rest of the time."""
    start = time.monotonic()
    deadline = None if timeout is None else time.time() + timeout
    name = f"pattern search ({nonlinear} for rank-one leaves)" if instance.shape.outputs > 1 else "pattern search"
    run = (instance, start, name, workers, cluster, certificate, progress, nonlinear)
    if instance.shape.outputs == 1:  # m = 1 needs no guide: its leaves are exact LPs
        return _exhaustive(*run, deadline)
    quick = time.time() + (QUICK_SECONDS if timeout is None else min(QUICK_SECONDS, timeout / 4))
    solution = _exhaustive(*run, quick if deadline is None else min(quick, deadline))
    if solution.status != "unknown" or (deadline is not None and time.time() >= deadline):
        return solution
    budget = GUIDE_SECONDS if timeout is None else min(GUIDE_SECONDS, timeout / 4)
    network = guided(instance, time.time() + budget, nonlinear)
    if network is not None:
        check = certify(instance, network)
        return Solution(instance.name, "sat", network, check.loss, True, name, time.monotonic() - start,
                        "the activation pattern of a float fit (Levenberg–Marquardt), solved exactly "
                        "and certified exactly", {"search": {"guided": True}})
    return _exhaustive(*run, deadline)


def _exhaustive(instance: Instance, start: float, name: str, workers: int | None, cluster: str | None,
                certificate: str | Path | None, progress: bool, nonlinear: str, deadline: float | None) -> Solution:
    """The exhaustive pattern search until `deadline` (seconds since the epoch)."""
    order = point_order(instance)
    tasks = sign_choices(instance.shape.hidden, instance.shape.outputs)
    report = progress_printer(start) if progress and sys.stderr.isatty() else None
    want = certificate is not None
    if cluster:
        outcomes, unfinished = run_dask(cluster, instance, order, tasks, nonlinear, deadline, want, report)
    else:
        outcomes, unfinished = run_local(instance, order, tasks, workers or default_workers(), nonlinear,
                                         deadline, want, report)
    if report:
        sys.stderr.write("\n")
    seconds = time.monotonic() - start
    explored, pruned = sum(o.explored for o in outcomes), sum(o.pruned for o in outcomes)
    stats = {"patterns_explored": explored, "patterns_refuted_lp": pruned,
             "patterns_refuted_nonlinear": sum(len(o.nonlinear) for o in outcomes)}
    for outcome in outcomes:
        if outcome.status == "sat" and outcome.network is not None:
            check = certify(instance, outcome.network)
            return Solution(instance.name, "sat", outcome.network, check.loss, True, name, seconds,
                            f"an activation pattern whose exact solution was certified exactly "
                            f"({explored} partial patterns explored)", {"search": stats})
    open_parts = [text for o in outcomes for text in o.open]
    if unfinished or open_parts:
        why = (f"{unfinished} of {len(tasks)} sign choices not finished (time limit)" if unfinished else "")
        why = "; ".join([w for w in [why] + open_parts[:5] if w])
        return Solution(instance.name, "unknown", backend=name, seconds=seconds, rests_on=why,
                        details={"search": stats})
    nonlinear_count = stats["patterns_refuted_nonlinear"]
    rests = (f"pattern search over {len(tasks)} sign choices: every activation pattern (hyperplane "
             f"dichotomies, neuron symmetry broken) refuted; {pruned} partial patterns by exact linear "
             f"infeasibility (Z3 simplex over Q" + (", Farkas multipliers in the certificate)" if want else ")")
             + (f", {nonlinear_count} full patterns by the nonlinear backend {nonlinear}" if nonlinear_count else ""))
    if want:
        refuted = [entry for o in outcomes for entry in o.refuted]
        doc = certificates.build(instance, order, refuted, [e for o in outcomes for e in o.nonlinear])
        path = Path(certificate)  # type: ignore[arg-type]
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(doc) + "\n")
        tmp.replace(path)
        rests += f"; certificate written to {path}"
    return Solution(instance.name, "unsat", backend=name, seconds=seconds, rests_on=rests,
                    details={"search": stats})


__all__ = ["Outcome", "covers", "search"]
