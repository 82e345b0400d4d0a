"""Answers: the solution format "etr-nn/solution/1" (a contract shared with other tools)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from etr_nn.certify import certify
from etr_nn.errors import InputError
from etr_nn.exact import Number, from_json, to_json
from etr_nn.files import load_json, write_atomically
from etr_nn.instance import Instance
from etr_nn.network import Network

FORMAT = "etr-nn/solution/1"
Status = Literal["sat", "unsat", "unknown"]


@dataclass
class Solution:
    """A solver's answer. `network` and `error` only with status "sat".

    `rests_on` says what an answer rests on (backend, pattern split, certificates); `optimum`
    is the least loss `etr-nn optimize` found (with "sat", `error` equals it); `details`
    carries extra fields written verbatim into the JSON (e.g. "attained").
    """

    instance: str
    status: Status
    network: Network | None = None
    error: Number | None = None
    verified: bool = False
    backend: str = ""
    seconds: float = 0.0
    rests_on: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    optimum: Number | None = None

    @classmethod
    def certified(cls, instance: Instance, network: Network, backend: str, seconds: float, rests_on: str,
                  details: dict[str, Any] | None = None, optimum: Number | None = None) -> Solution:
        """The last gate of every "sat" answer: status "sat" only when `certify` (exact, sharing
        nothing with the backend that found the network) accepts the network on every data point,
        with loss ≤ `optimum` when one is given (else ≤ max_error); else "unknown", saying what failed."""
        check = certify(instance, network, optimum)
        if not check.valid:
            return cls(instance.name, "unknown", backend=backend, seconds=seconds, details=details or {},
                       rests_on=f"{rests_on}; its network failed the exact check ({'; '.join(check.problems)})",
                       optimum=optimum)
        return cls(instance.name, "sat", network, check.loss, True, backend, seconds,
                   f"{rests_on}; certified exactly", details or {}, optimum)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"format": FORMAT, "instance": self.instance, "status": self.status}
        if self.status == "sat" and self.network is not None:
            doc["network"] = self.network.to_json()
            doc["error"] = to_json(self.error) if self.error is not None else None
        doc.update(verified=self.verified, backend=self.backend, seconds=round(self.seconds, 4))
        if self.rests_on:
            doc["rests_on"] = self.rests_on
        if self.optimum is not None:
            doc["optimum"] = to_json(self.optimum)
        doc.update(self.details)
        return doc

    def _repr_markdown_(self) -> str:
        """Jupyter's display: the answer, what it rests on, and the exact weights."""
        from etr_nn.exact import to_latex

        lines = [f"**{self.instance}**: {self.status}" + (f" ({self.backend}, {self.seconds:.2f} s)" if self.backend else "")]
        if self.network is not None:
            lines.append("$$" + self.network._repr_latex_().strip("$") + "$$")
        if self.error is not None:
            lines.append(f"loss = ${to_latex(self.error)}$" + (", verified exactly" if self.verified else ""))
        if self.rests_on:
            lines.append(f"rests on: {self.rests_on}")
        return "\n\n".join(lines)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1)

    def dump(self, path: str | Path) -> None:
        """Write atomically: a failed write leaves no half-written file (etr_nn.files)."""
        write_atomically(path, self.dumps() + "\n")


def load(path: str | Path) -> Solution:
    """Read a solution file; every problem raises InputError naming the file and field."""
    return from_document(load_json(path, "solution file"), str(path))


def from_document(doc: Any, path: str) -> Solution:
    """A solution from its parsed JSON; every problem raises InputError naming `path` and the field."""
    if not isinstance(doc, dict) or doc.get("format", FORMAT) != FORMAT:
        raise InputError(f"{path}: not an {FORMAT} document")
    status = doc.get("status")
    if status not in ("sat", "unsat", "unknown"):
        raise InputError(f"{path}: status: expected \"sat\", \"unsat\" or \"unknown\", got {status!r}")
    network = None
    try:
        if status == "sat":
            network = Network.from_json(doc.get("network"))
        error, optimum = _number(doc, "error"), _number(doc, "optimum")
    except ValueError as problem:
        raise InputError(f"{path}: {problem}") from None
    seconds = doc.get("seconds", 0)
    if not isinstance(seconds, (int, Fraction)) or isinstance(seconds, bool) or not 0 <= seconds < 10**12:
        raise InputError(f"{path}: seconds: expected a number of seconds")
    known = {"format", "instance", "status", "network", "error", "verified", "backend", "seconds", "rests_on",
             "optimum"}
    return Solution(str(doc.get("instance", "")), status, network, error if status == "sat" else None,
                    bool(doc.get("verified")), str(doc.get("backend", "")), float(seconds),
                    str(doc.get("rests_on", "")), {k: v for k, v in doc.items() if k not in known}, optimum)


def _number(doc: dict[str, Any], key: str) -> Number | None:
    """The exact number in field `key` (None when absent or null); ValueError naming the field."""
    if doc.get(key) is None:
        return None
    try:
        return from_json(doc[key])
    except ValueError as problem:
        raise ValueError(f"{key}: {problem}") from None
