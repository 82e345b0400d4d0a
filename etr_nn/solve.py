"""Solve an instance: encode, decide each case with a backend, map back, certify.

`solve` reports "sat" only for a network that etr_nn.certify accepted; "unsat" only when
the backend refuted every case of an encoding equivalent to the instance; otherwise
"unknown".
"""

from __future__ import annotations

import time

from etr_nn import backends, discrete
from etr_nn.certify import certify
from etr_nn.encode.direct import encode
from etr_nn.instance import Instance
from etr_nn.solution import Solution


def solve(instance: Instance, backend: str = "z3", timeout: float | None = None,
          method: discrete.Method = "auto") -> Solution:
    """Decide whether the instance's network can reach loss ≤ max_error, exactly.

    Finite weight sets go to etr_nn.discrete, with `method` one of its METHODS.
    """
    if instance.weights is not None:
        return discrete.solve(instance, method, timeout)
    start = time.monotonic()
    engine = backends.get(backend)
    cases = encode(instance)
    refuted, open_cases = [], []
    for case in cases:
        remaining = None if timeout is None else timeout - (time.monotonic() - start)
        if remaining is not None and remaining <= 0:
            open_cases.append(f"{case.label}: not tried (time limit)")
            continue
        answer = engine.check(case.system, remaining)
        if answer.status == "sat":
            network = case.network(answer.point)
            check = certify(instance, network)
            if check.valid:
                return Solution(instance.name, "sat", network, check.loss, True, engine.name,
                                time.monotonic() - start, f"{case.label}; {answer.reason}; certified exactly")
            open_cases.append(f"{case.label}: {engine.name}'s model failed the exact check "
                              f"({'; '.join(check.problems)})")
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
