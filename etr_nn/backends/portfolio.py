"""Linear elimination, then Z3's nlsat, then the own CAD with a share of the time.

Linear elimination (etr_nn.cad.eliminate: variables fixed by linear equations substituted
out, equations row-reduced over their monomials) often refutes the fitting systems of the
pattern search (etr_nn.patterns.fitting_system) at once, and alone: measured on the 124 leaves
of benchmarks/leaves.py it refutes 70, in a median 0.02 s, where nlsat sometimes times out.
nlsat then decides most of the rest in milliseconds; the CAD keeps CAD_SHARE of the time for
what nlsat leaves open. (The CAD first, for 0.2 s, spent 5.8 s on 26 of those leaves before
nlsat settled them in 3.0 s, and decided the five-point instance of issue #18 in 2.9 s against
0.6 s in this order.) Every answer is exact; the first definite one is returned, named.
"""

from __future__ import annotations

from etr_nn.backends.base import Answer
from etr_nn.deadline import Deadline
from etr_nn.poly import System

CAD_SHARE = 0.2  # of a time limit, kept for the CAD after nlsat
ELIMINATION_SECONDS = 0.2  # at most this long for linear elimination alone


class CADThenZ3:
    """Linear elimination, nlsat, then the CAD (module docstring). One step of the CAD's algebraic
    arithmetic can run for seconds past its share; with `isolate` the CAD runs in a child killed
    at its deadline (a fork per call: right for one system at a time, as `etr-nn check` decides,
    not for the pattern search's many small leaves)."""

    name = "cad+z3"

    def __init__(self, isolate: bool | None = None) -> None:
        self.isolate = isolate

    def check(self, system: System, timeout: float | None = None) -> Answer:
        from etr_nn.backends.cad_backend import CADBackend
        from etr_nn.backends.z3_backend import Z3Backend
        from etr_nn.cad.eliminate import branches
        from etr_nn.cad.projection import Timeout

        deadline = Deadline.after(timeout)
        try:
            if next(branches(system.formula, deadline.sooner(ELIMINATION_SECONDS)), None) is None:
                return Answer("unsat", reason="cad: linear elimination leaves no branch")
        except Timeout:
            pass
        left = deadline.left()
        answer = Z3Backend().check(system, None if left is None else max(0.05, left * (1 - CAD_SHARE)))
        left = deadline.left()
        if answer.status != "unknown" or left is None:
            return answer
        return CADBackend(self.isolate).check(system, max(0.05, left))
