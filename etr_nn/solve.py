"""Solve an instance: encode, decide each case with a backend, map back, certify.

By default (backend "search") the pattern-search engine (etr_nn.search) decides the
instances it covers; the others, and any other backend name, use the direct encoding.

`solve` reports "sat" only for a network that etr_nn.certify accepted; "unsat" only when
the backend refuted every case of an encoding equivalent to the instance; otherwise
"unknown".
"""

from __future__ import annotations

import time

from etr_nn.deadline import Deadline
from etr_nn.progress import Progress, wanted
from etr_nn import backends, discrete, search
from etr_nn.encode.direct import encode
from etr_nn.instance import Instance
from etr_nn.solution import Solution


SEARCH = "search"
SEARCH_SHARE = 60.0  # seconds of pattern search before the direct encoding, without a time limit (two outputs, γ > 0)


def solve(instance: Instance, backend: str = SEARCH, timeout: float | None = None, workers: int | None = None,
          cluster: str | None = None, certificate: str | None = None, progress: bool = False,
          method: discrete.Method = "auto") -> Solution:
    """Decide whether the instance's network can reach loss ≤ max_error, exactly.

    Finite weight sets go to etr_nn.discrete, with `method` one of its METHODS. Otherwise
    backend "search": the pattern-search engine (`workers` processes or a dask `cluster`;
    `certificate`: file for the refutation of an unsat answer); instances it does not cover
    go to the direct encoding with Z3, and the answer says so. Other names: the direct
    encoding decided by that backend.
    """
    if instance.weights is not None:
        return discrete.solve(instance, method, timeout)
    fallback = ""
    if backend == SEARCH:
        reason = search.covers(instance, certificate is not None)
        if reason is None and instance.max_error and instance.shape.outputs > 1:
            return _search_then_direct(instance, timeout, workers, cluster, progress)
        if reason is None:
            return search.search(instance, timeout, workers, cluster, certificate, progress)
        backend, fallback = "z3", f"direct encoding ({reason}); "
    solution = _direct(instance, backend, timeout, progress)
    solution.rests_on = fallback + solution.rests_on
    return solution


def _search_then_direct(instance: Instance, timeout: float | None, workers: int | None, cluster: str | None,
                        progress: bool) -> Solution:
    """max_error > 0 with two or more outputs: the pattern search for half the time (at most
    SEARCH_SHARE seconds), then, if it is undecided (out of time, or leaves left open: the float guide
    does not take its rest here), the direct encoding with Z3 for the rest.
    Measured on planted-plus-noise data (m = 2, k ≤ 2, n ≤ 5): the search decides squared loss in
    seconds where Z3 gives no answer in 30 s, Z3 decides some absolute-loss cases in 0.1 s where the
    search's leaves time out; neither decides every case."""
    deadline = Deadline.after(timeout)
    share = SEARCH_SHARE if timeout is None else min(SEARCH_SHARE, timeout / 2)
    first = search.search(instance, share, workers, cluster, None, progress, guide_rest=False)
    if first.status != "unknown":
        return first
    second = _direct(instance, "z3", deadline.left(), progress)
    second.rests_on = f"pattern search undecided ({first.rests_on}); then direct encoding: {second.rests_on}"
    second.seconds += first.seconds
    return second


def _direct(instance: Instance, backend: str, timeout: float | None, progress: bool = False) -> Solution:
    start = time.monotonic()
    deadline = Deadline.after(timeout)
    engine = backends.get(backend)
    cases = encode(instance)
    refuted, open_cases = [], []
    with Progress(f"direct encoding ({engine.name}): cases", len(cases), wanted(not progress)) as bar:
        for done, case in enumerate(cases):
            bar.show(done)
            if deadline.passed():
                open_cases.append(f"{case.label}: not tried (time limit)")
                continue
            answer = engine.check(case.system, deadline.left())
            if answer.status == "sat":
                found = Solution.certified(instance, case.network(answer.point), engine.name,
                                           time.monotonic() - start, f"{case.label}; {answer.reason}")
                if found.status == "sat":
                    return found
                open_cases.append(f"{engine.name}'s model: {found.rests_on}")
            elif answer.status == "unsat":
                refuted.append(f"{case.label}: {answer.reason}")
            else:
                open_cases.append(f"{case.label}: {answer.reason}")
    seconds = time.monotonic() - start
    if open_cases:
        return Solution(instance.name, "unknown", backend=engine.name, seconds=seconds,
                        rests_on="; ".join(open_cases))
    return Solution(instance.name, "unsat", backend=engine.name, seconds=seconds,
                    rests_on=f"direct encoding, {len(cases)} case(s) refuted: " + "; ".join(refuted))
