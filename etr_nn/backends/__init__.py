"""Backends that decide polynomial systems, by name."""

from __future__ import annotations

from etr_nn.backends.base import Answer, Backend, Status
from etr_nn.backends.z3_backend import Z3Backend
from etr_nn.backends.cad_backend import CADBackend

BACKENDS: dict[str, Backend] = {"z3": Z3Backend(), "cad": CADBackend()}


def get(name: str) -> Backend:
    """The backend called `name`; KeyError lists the known ones."""
    if name not in BACKENDS:
        raise KeyError(f"unknown backend {name!r} (known: {', '.join(sorted(BACKENDS))})")
    return BACKENDS[name]


__all__ = ["Answer", "Backend", "BACKENDS", "Status", "get"]
