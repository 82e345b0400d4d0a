"""Progress of long commands: one bar on standard error (tqdm) on a terminal; nothing with
--quiet, off a terminal, or from the library unless asked for.

Every long piece of work reports through one `Progress`: the pattern search (sign choices
done, partial patterns explored and refuted, in this process and its workers together), the
gadget checker (the same, per claim), optimize (activation patterns or pieces), the direct
encoding (its cases). Counts only ever grow.
"""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    """A bar of `total` steps (None: a counter) named `what`; a no-op when not `shown`."""

    def __init__(self, what: str, total: int | None = None, shown: bool = False) -> None:
        self.bar: Any = None
        if shown:
            from tqdm import tqdm  # imported only when a bar is shown

            self.bar = tqdm(total=total, desc=what, file=sys.stderr, leave=False, dynamic_ncols=True,
                            bar_format="{desc}: {n_fmt}/{total_fmt} [{elapsed}]{postfix}" if total else None)

    def show(self, done: int, **counts: int) -> None:
        """`done` steps so far (never fewer than shown before), and counters beside the bar."""
        if self.bar is not None:
            self.bar.update(max(0, done - self.bar.n))
            if counts:
                self.bar.set_postfix(counts, refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def wanted(quiet: bool) -> bool:
    """Whether a command shows progress: not --quiet, and standard error is a terminal."""
    return not quiet and sys.stderr.isatty()
