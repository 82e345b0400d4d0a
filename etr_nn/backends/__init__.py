"""Backends that decide polynomial systems, by name (each imported on first use)."""

from __future__ import annotations

from importlib import import_module

from etr_nn.backends.base import Answer, Backend, Status

#: name → "module:class"; imported lazily so that start-up does not pay for every solver.
REGISTRY: dict[str, str] = {"z3": "etr_nn.backends.z3_backend:Z3Backend",
                            "cad": "etr_nn.backends.cad_backend:CADBackend",
                            "cad+z3": "etr_nn.backends.portfolio:CADThenZ3"}


def get(name: str) -> Backend:
    """The backend called `name`; KeyError lists the known ones."""
    if name not in REGISTRY:
        raise KeyError(f"unknown backend {name!r} (known: {', '.join(sorted(REGISTRY))})")
    module, cls = REGISTRY[name].split(":")
    backend: Backend = getattr(import_module(module), cls)()
    return backend


__all__ = ["Answer", "Backend", "REGISTRY", "Status", "get"]
