"""One clock for every time limit: a `Deadline` is a point on the monotonic clock (or none).

Commands take a timeout in seconds and turn it into a Deadline once (`Deadline.after`); everything
below asks the same object how long is left. A Deadline sent to another process (a worker of the
pattern search, a dask task) arrives as the time then left, re-anchored on the receiver's clock,
so no two processes have to agree on the time of day. The hard limit that ends a command
whatever it is doing is etr_nn.supervise.
"""

from __future__ import annotations

import time
from typing import Any


class Deadline:
    """The monotonic time `at` by which work must end; `at` None: no limit."""

    __slots__ = ("at",)

    def __init__(self, at: float | None = None) -> None:
        self.at = at

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        """The deadline `seconds` from now (None: no limit)."""
        return cls(None if seconds is None else time.monotonic() + seconds)

    def left(self) -> float | None:
        """Seconds left (≥ 0), or None without a limit."""
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def cap(self, seconds: float, least: float = 0.0) -> float:
        """`seconds`, or the time left when that is less (but at least `least`)."""
        left = self.left()
        return seconds if left is None else min(seconds, max(least, left))

    def sooner(self, seconds: float | None) -> Deadline:
        """This deadline or the one `seconds` from now, whichever comes first."""
        other = Deadline.after(seconds)
        if self.at is None or other.at is None:
            return self if other.at is None else other
        return self if self.at <= other.at else other

    def extended(self, seconds: float) -> Deadline:
        """The same deadline, `seconds` later (a grace period)."""
        return self if self.at is None else Deadline(self.at + seconds)

    def __reduce__(self) -> tuple[Any, ...]:
        return Deadline.after, (self.left(),)

    def __repr__(self) -> str:
        return "Deadline(no limit)" if self.at is None else f"Deadline({self.left():.3f} s left)"


NO_LIMIT = Deadline()
