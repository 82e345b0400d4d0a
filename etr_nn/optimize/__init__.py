"""The exact minimum training loss over all real weights, with an optimal network.

- One output (fact 3): every activation pattern makes training a convex program in the
  linear coordinates, so the optimum is the least of finitely many convex optima, each
  attained at a rational point (`etr_nn.optimize.convex`): the optimum and an optimal
  network are rational, and that is proved for the instance at hand.
- Two or more outputs, squared loss: the output layer is eliminated by least squares and
  the loss becomes a rational function of the hidden layer on finitely many pieces
  (`etr_nn.optimize.hidden`); the CAD projects each piece's graph onto the loss axis, which
  gives its exact infimum (a real algebraic number) and whether it is attained.

`optimize` returns an `Optimum`; `Optimum.solution(instance)` is the solution format with the
fields "optimum", "optimum_status" and "attained" added.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from etr_nn.progress import wanted
from etr_nn.deadline import Deadline
from etr_nn.certify import loss
from etr_nn.exact import Number
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.solution import Solution, Status


ZERO_SEARCH_SECONDS = 5.0


@dataclass
class Optimum:
    """status "optimal": `value` is the exact infimum of the loss over all real weights and
    `network` attains it (certified); "not attained": `value` is the infimum and no network
    reaches it; "unknown": a limit was hit (`value` None)."""

    instance: str
    status: str
    value: Number | None = None
    network: Network | None = None
    method: str = ""
    rests_on: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def solution(self, instance: Instance) -> Solution:
        """Solution format, with "optimum" (the value), "optimum_status" (this status: "optimal",
        "not attained" or "unknown") and "attained": status "sat" with the optimal network
        (certified: its exact loss is at most the optimum), "unsat" when the infimum is not
        attained (no network reaches it), else "unknown"."""
        details: dict[str, Any] = {"optimum_status": self.status}
        if self.value is not None:
            details["attained"] = self.status == "optimal"
        rests_on = "; ".join(self.rests_on)
        if self.status == "optimal" and self.network is not None and self.value is not None:
            return Solution.certified(instance, self.network, self.method, self.seconds, rests_on, details, self.value)
        status: Status = "unsat" if self.status == "not attained" else "unknown"
        return Solution(self.instance, status, backend=self.method, seconds=self.seconds, rests_on=rests_on,
                        details=details, optimum=self.value)


def optimize(instance: Instance, timeout: float | None = None, progress: bool = False,
             workers: int | None = None) -> Optimum:
    """The exact optimum of the instance's loss (max_error is ignored); `workers`: processes of the
    one-output branch and bound (default: every core)."""
    from etr_nn.optimize import convex, landscape
    from etr_nn.search.parallel import default_workers

    start = time.monotonic()
    deadline = Deadline.after(timeout)
    if instance.weights is not None:
        result = Optimum(instance.name, "unknown", rests_on=["finite weight sets: use `solve` with max_error"])
    elif (zero := _zero_error_fit(instance, deadline)) is not None:
        result = zero
    elif instance.shape.outputs == 1:
        result = convex.optimize(instance, deadline, wanted(not progress), workers or default_workers())
    elif instance.loss == "squared":
        result = landscape.optimize(instance, deadline, wanted(not progress))
    else:
        result = Optimum(instance.name, "unknown",
                         rests_on=["absolute loss with two or more outputs is not supported by optimize"])
    if result.network is not None and (result.network.shape != instance.shape
                                       or loss(instance, result.network) != result.value):
        result = Optimum(instance.name, "unknown", rests_on=["the optimal network failed the exact check"])
    elif result.network is not None:
        result.rests_on.append("optimal network's loss recomputed exactly")
    result.seconds = time.monotonic() - start
    return result


def _zero_error_fit(instance: Instance, deadline: Deadline) -> Optimum | None:
    """Loss 0 is optimal when a zero-error network exists: ask the pattern search first
    (a few seconds at most)."""
    from etr_nn.solve import solve

    found = solve(replace(instance, max_error=Fraction(0)), timeout=deadline.cap(ZERO_SEARCH_SECONDS, least=0.01), workers=1)
    if found.status != "sat" or found.network is None:
        return None
    return Optimum(instance.name, "optimal", Fraction(0), found.network, "search",
                   [f"a zero-error network ({found.rests_on}); no loss is negative"])
