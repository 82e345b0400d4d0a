"""Two exact backends in turn: the own CAD briefly, then Z3's nlsat for the rest of the time.

The CAD backend first substitutes variables fixed by linear equations and row-reduces the
equations over their monomials (etr_nn.cad.eliminate); on the fitting systems of the pattern
search (etr_nn.patterns.fitting_system) that often exposes an inconsistency, or a low-dimensional
remainder, at once, while nlsat is faster where the CAD's projection grows. Both answers are exact; the first definite one is returned, named.
"""

from __future__ import annotations

import time

from etr_nn.backends.base import Answer
from etr_nn.poly import System

CAD_SECONDS = 0.2  # the CAD's share before nlsat takes over


class CADThenZ3:
    """The CAD for CAD_SECONDS, then nlsat. One step of the CAD's algebraic arithmetic can run for
    seconds past its share; with `isolate` the CAD runs in a child killed at its deadline (a fork
    per call: right for one system at a time, as `etr-nn check` decides, not for the pattern
    search's many small leaves)."""

    name = "cad+z3"

    def __init__(self, isolate: bool | None = None) -> None:
        self.isolate = isolate

    def check(self, system: System, timeout: float | None = None) -> Answer:
        from etr_nn.backends.cad_backend import CADBackend
        from etr_nn.backends.z3_backend import Z3Backend

        start = time.monotonic()
        first = CADBackend(self.isolate).check(system, CAD_SECONDS if timeout is None else min(CAD_SECONDS, timeout))
        if first.status != "unknown":
            return first
        rest = None if timeout is None else max(0.05, timeout - (time.monotonic() - start))
        return Z3Backend().check(system, rest)
