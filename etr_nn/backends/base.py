"""The interface every backend implements: decide a polynomial system, exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from etr_nn.exact import Number
from etr_nn.poly import System

Status = Literal["sat", "unsat", "unknown"]


@dataclass(frozen=True)
class Answer:
    """A backend's verdict; `point` (exact values by variable name) only with "sat"."""

    status: Status
    point: dict[str, Number] = field(default_factory=dict)
    reason: str = ""


class Backend(Protocol):
    """Decides satisfiability of a System over the reals; never trusted for a final "sat"."""

    name: str

    def check(self, system: System, timeout: float | None = None) -> Answer: ...
