"""Real against discrete weights on the same data: `etr-nn compare FILE`.

The real answer comes from etr_nn.solve.solve on the instance with weights="real", the
discrete one from etr_nn.discrete.solve; both are certified before they say sat. A gap
(real sat, discrete unsat) is a certificate that restricting the weights costs fit.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from etr_nn.discrete import Method, solve as solve_discrete
from etr_nn.errors import InputError
from etr_nn.exact import approx_str
from etr_nn.instance import Instance
from etr_nn.solution import Solution
from etr_nn.solve import solve as solve_real

FORMAT = "etr-nn/compare/1"


def compare(instance: Instance, method: Method = "auto",
            timeout: float | None = None) -> tuple[Solution, Solution]:
    """(real-weight answer, finite-set answer), each with the time limit `timeout`."""
    if instance.weights is None:
        raise InputError(f"{instance.source}: weights: compare needs a finite weight set "
                         "({\"finite\": [...]})")
    real = solve_real(dataclasses.replace(instance, weights=None), timeout=timeout)
    return real, solve_discrete(instance, method, timeout)


def to_json(instance: Instance, real: Solution, discrete: Solution) -> dict[str, Any]:
    return {"format": FORMAT, "instance": instance.name,
            "weights": [str(v) for v in instance.weights or ()],
            "real": real.to_json(), "discrete": discrete.to_json()}


def report(instance: Instance, real: Solution, discrete: Solution) -> str:
    """Both answers side by side: status, loss, method, time, every weight."""
    s = instance.shape
    allowed = "{" + ", ".join(str(v) for v in instance.weights or ()) + "}"
    rows = [("", "real weights", f"weights from {allowed}"),
            ("fits", *(_fits(x) for x in (real, discrete))),
            ("loss", *(approx_str(x.error, 12) if x.error is not None else "-" for x in (real, discrete))),
            ("solver", *(f"{x.backend} ({x.seconds:.2f} s)" for x in (real, discrete)))]
    names = [f"W[{j}][{t}]" for j in range(s.hidden) for t in range(s.inputs)] + \
        [f"b[{j}]" for j in range(s.hidden)] + \
        [f"A[{o}][{j}]" for o in range(s.outputs) for j in range(s.hidden)] + [f"c[{o}]" for o in range(s.outputs)]
    values = [[str(v) for v in x.network.weights()] if x.network else ["-"] * len(names) for x in (real, discrete)]
    rows += list(zip(names, *values))
    widths = [max(len(row[c]) for row in rows) for c in range(3)]
    lines = [f"{instance.name}: {s.inputs} input(s), {s.hidden} hidden, {s.outputs} output(s), "
             f"{instance.n} points, {instance.loss} loss ≤ {instance.max_error}"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines += [f"real rests on: {real.rests_on}", f"discrete rests on: {discrete.rests_on}"]
    return "\n".join(lines)


def _fits(solution: Solution) -> str:
    return {"sat": "yes", "unsat": "no"}.get(solution.status, "unknown")
