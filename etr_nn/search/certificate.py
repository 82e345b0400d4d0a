"""Refutation certificates of the pattern search, and their exact check.

Format "etr-nn/refutation/1" (JSON): the instance name, the point order, and
- "refuted": partial patterns {"signs": σ_1..σ_k, "bits": per neuron a 0/1 string over the
  first points of the order, "output": o, "farkas": multipliers, one per row of
  etr_nn.search.patterns.pattern_rows for output o} whose linear system is infeasible;
- "nonlinear": full patterns {"signs", "bits", "decided_by": "nonlinear backend: cad+z3 (…)"}
  whose rank-one system a nonlinear backend refuted (trusted, not re-checked here);
- "rule": the enumeration rule (patterns.py) that makes these patterns exhaustive.
`check` re-derives the search tree from the rule (dichotomies recomputed exactly), checks
that every branch ends in a listed pattern, and re-checks every Farkas certificate in
rational arithmetic.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from etr_nn.errors import InputError
from etr_nn.exact import parse_rational
from etr_nn.files import load_json
from etr_nn.instance import Instance
from etr_nn.search.lp import check_farkas
from etr_nn.search.patterns import Points, Sign, Trie, children, pattern_rows, sign_choices

FORMAT = "etr-nn/refutation/1"
RULE = ("sign vectors sigma_1 <= ... <= sigma_k over {-1,1}^m (closed orthants of the output columns); points decided in 'order'; "
        "each neuron's bits a prefix of a hyperplane dichotomy of the data; (sigma_j, bits_j) "
        "non-decreasing in j (lexicographic)")

Key = tuple[tuple[Sign, ...], tuple[str, ...]]


def build(instance: Instance, order: tuple[int, ...], refuted: list[dict[str, Any]],
          nonlinear: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": FORMAT, "instance": instance.name, "hidden": instance.shape.hidden,
            "order": list(order), "rule": RULE, "refuted": refuted, "nonlinear": nonlinear}


def is_certificate(path: str | Path) -> bool:
    """Does the file look like a refutation certificate (rather than a solution)?"""
    try:
        doc = load_json(path, "certificate")
    except InputError:
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def check(instance: Instance, path: str | Path) -> tuple[list[str], int, int]:
    """Problems with the certificate (empty: valid), #Farkas certificates, #nonlinear leaves."""
    doc = load_json(path, "certificate")
    try:
        order = tuple(_integer(p) for p in doc["order"])
        refuted = {_key(entry): (_integer(entry["output"]), [_rational(v) for v in entry["farkas"]])
                   for entry in doc["refuted"]}
        nonlinear = {_key(entry) for entry in doc["nonlinear"]}
        hidden = _integer(doc.get("hidden", instance.shape.hidden))
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"{path}: not a readable {FORMAT} certificate ({error})") from None
    if sorted(order) != list(range(instance.n)):
        return [f"{path}: order is not a permutation of the {instance.n} points"], 0, 0
    if hidden != instance.shape.hidden:
        return [f"{path}: certificate for {hidden} hidden neurons, the instance has {instance.shape.hidden}"], 0, 0
    problems: list[str] = []
    trie = Trie(instance.points, order)
    points = Points.of(instance)
    used_farkas: set[Key] = set()
    used_nonlinear: set[Key] = set()
    for signs in sign_choices(instance.shape.hidden, instance.shape.outputs):
        stack: list[tuple[tuple[int, ...], ...]] = [tuple(() for _ in signs)]
        while stack:
            prefixes = stack.pop()
            key = (signs, tuple("".join(map(str, b)) for b in prefixes))
            if key in refuted:
                used_farkas.add(key)
                output, y = refuted[key]
                if not 0 <= output < instance.shape.outputs:
                    problems.append(f"pattern {key}: no output {output}")
                    continue
                problem = check_farkas(pattern_rows(points, signs, order, prefixes, (output,)), y)
                if problem:
                    problems.append(f"pattern {key}: {problem}")
                continue
            if len(prefixes[0]) == instance.n:
                if key in nonlinear:
                    used_nonlinear.add(key)
                else:
                    problems.append(f"full pattern {key} is neither refuted nor decided")
                continue
            stack += [tuple(p + (b,) for p, b in zip(prefixes, bits)) for bits in children(signs, prefixes, trie)]
        if len(problems) > 20:
            break
    return problems, len(used_farkas), len(used_nonlinear)


def _key(entry: dict[str, Any]) -> Key:
    return tuple(tuple(_integer(v) for v in s) for s in entry["signs"]), tuple(str(b) for b in entry["bits"])


def _integer(value: Any) -> int:
    """A JSON integer (bounded by the reader); TypeError for anything else."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {json.dumps(value, default=str)[:40]}")
    return value


def _rational(value: Any) -> Fraction:
    """A Farkas multiplier: a JSON number or a string "p/q", read by etr_nn.exact.parse_rational."""
    if isinstance(value, str):
        return parse_rational(value)
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return Fraction(value)
    raise TypeError(f"expected a rational, got {json.dumps(value, default=str)[:40]}")
