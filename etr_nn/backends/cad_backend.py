"""Decision by cylindrical algebraic decomposition: `etr_nn.cad.decide` as a backend."""

from __future__ import annotations

from etr_nn.backends.base import Answer
from etr_nn.poly import System


class CADBackend:
    """Own exact CAD (Lazard projection, exact lifting) after linear elimination."""

    name = "cad"

    def __init__(self, isolate: bool | None = None) -> None:
        self.isolate = isolate  # run in a child killed at the deadline (None: decide()'s default)

    def check(self, system: System, timeout: float | None = None) -> Answer:
        from etr_nn.cad.decide import decide  # etr_nn.cad imports etr_nn.backends.base

        return decide(system, timeout, self.isolate)
