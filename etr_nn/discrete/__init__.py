"""Discrete training: every weight and bias from a given finite set S (D-NNT).

Doron-Arad (arXiv 2412.13057) shows this NP-hard already for two layers in several
fixed-parameter settings, with a pseudo-polynomial algorithm for two-layer networks and a
fixed number of data points. Three exact methods decide it here:

- "dp": a dynamic program over neurons whose states are the vectors of partial output
  sums at the data (etr_nn.discrete.dp; recurrence and running time there);
- "smt": an integer encoding (each weight a finite choice, relu and a·h by cases) decided
  by Z3 (etr_nn.discrete.smt);
- "brute": enumeration of all |S|^{k(d+1)+m(k+1)} networks (etr_nn.discrete.brute).

"auto" picks by estimated cost. With W = k(d+1) + m(k+1) weights:
1. if the neuron types are too many to list (|S|^{d+1+m} > TYPE_LIMIT): smt;
2. otherwise list the types T and bound the DP's states R (etr_nn.discrete.dp.state_bound);
   the DP costs about R·|T| steps, brute force about BRUTE_WEIGHT·|S|^W;
3. the cheaper of the two if that estimate is at most WORK_LIMIT, else smt.
The estimate ignores pruning, so it overstates the DP's work (often by 100×-1000×);
WORK_LIMIT is set at the measured crossover (benchmarks/discrete.py: the DP wins below
about 10^7 estimated steps, Z3 from about 10^8 on).

Every sat answer is certified by etr_nn.certify (weights in S, exact loss ≤ γ) before it
is reported; unsat answers say which exhaustive argument they rest on; a time limit gives
unknown.
"""

from __future__ import annotations

import time
from typing import Literal

from etr_nn.deadline import Deadline
from etr_nn.discrete import brute, dp, smt
from etr_nn.discrete.common import Outcome, Scaled
from etr_nn.instance import Instance
from etr_nn.solution import Solution

Method = Literal["auto", "smt", "dp", "brute"]
METHODS: tuple[Method, ...] = ("auto", "smt", "dp", "brute")
TYPE_LIMIT = 20_000
WORK_LIMIT = 30_000_000
# One network checked in Fractions ≈ this many *estimated* DP steps: brute force's estimate is exact
# (measured ≈ 73 µs a network: 273 408 in 20 s on d = 3, k = 1, m = 2, |S| = 5), the DP's overstated
# 100–1000× (that instance: 6.2e7 estimated steps, decided in 0.1 s; 20 here had auto pick brute force
# there, unknown at 20 s, where dp and smt decide in 0.1–0.6 s).
BRUTE_WEIGHT = 500


def choose(instance: Instance, sc: Scaled) -> tuple[Method, str, dp.Types | None]:
    """The auto rule of the module docstring: method, why, and the types if listed."""
    assert instance.weights is not None
    s, shape = len(instance.weights), instance.shape
    brute_cost = BRUTE_WEIGHT * s ** brute.weight_count(instance)
    if s ** (shape.inputs + 1 + shape.outputs) > TYPE_LIMIT:
        return "smt", f"|S|^(d+1+m) = {s}^{shape.inputs + 1 + shape.outputs} neuron types exceed {TYPE_LIMIT}", None
    types = dp.neuron_types(sc)
    assert types is not None
    dp_cost = dp.state_bound(sc, types, shape.hidden) * len(types.vectors)
    why = f"estimated work: dp {dp_cost:.3g}, brute {brute_cost:.3g} (limit {WORK_LIMIT:.3g})"
    if min(dp_cost, brute_cost) > WORK_LIMIT:
        return "smt", why, None
    return ("dp", why, types) if dp_cost <= brute_cost else ("brute", why, None)


def solve(instance: Instance, method: Method = "auto", timeout: float | None = None) -> Solution:
    """Decide a finite-weight instance exactly with `method`; sat only once certified."""
    if instance.weights is None:
        raise ValueError("etr_nn.discrete.solve needs an instance with a finite weight set")
    start = time.monotonic()
    deadline = Deadline.after(timeout)
    sc = Scaled.of(instance)
    chosen, why, types = choose(instance, sc) if method == "auto" else (method, "", None)
    if chosen == "dp":
        outcome = dp.solve(sc, deadline, types)
    elif chosen == "smt":
        outcome = smt.solve(sc, deadline)
    elif chosen == "brute":
        outcome = brute.solve(instance, deadline)
    else:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    details = {"method": chosen, **outcome.details}
    if why:
        details["auto"] = why
    return _solution(instance, outcome, f"discrete-{chosen}", time.monotonic() - start, details)


def _solution(instance: Instance, outcome: Outcome, backend: str, seconds: float,
              details: dict[str, object]) -> Solution:
    if outcome.status != "sat":
        return Solution(instance.name, outcome.status, backend=backend, seconds=seconds,
                        rests_on=outcome.reason, details=details)
    assert outcome.network is not None
    return Solution.certified(instance, outcome.network, backend, seconds, outcome.reason, details)
