"""Refutation certificates of the pattern search, and their exact check.

Format "etr-nn/refutation/1" (JSON): the instance name, the point order, and
- "refuted": partial patterns {"signs": σ_1..σ_k, "bits": per neuron a 0/1 string over the
  first points of the order, "output": o, "farkas": multipliers, one per row of
  etr_nn.patterns.pattern_rows for output o} whose linear system is infeasible;
- "nonlinear": full patterns {"signs", "bits", "decided_by": "nonlinear backend: cad+z3 (…)"}
  whose rank-one system a nonlinear backend refuted; there is no certificate to read for
  them, so `check` re-decides each one itself (Z3 on
  etr_nn.patterns.full_pattern_system, unsat required)
  and refuses them with one output, where a full pattern is linear and needs Farkas;
- "rule": the enumeration rule (etr_nn.patterns) that makes these patterns exhaustive.
`check` re-derives the search tree from the rule (dichotomies recomputed exactly), checks
that every branch ends in a listed pattern (the walk is bounded by the entries: a
certificate that leaves a subtree uncovered is rejected, not explored), and re-checks
every Farkas certificate in rational arithmetic.
"""

from __future__ import annotations

from typing import Any

from etr_nn import backends
from etr_nn.errors import InputError
from etr_nn.exact import read_rational
from etr_nn.files import json_integer
from etr_nn.instance import Instance
from etr_nn.lp import check_farkas
from etr_nn.patterns import (Points, Prefixes, Sign, Trie, children, full_pattern_system, pattern_rows,
                                    sign_choices)

FORMAT = "etr-nn/refutation/1"
RULE = ("sign vectors sigma_1 <= ... <= sigma_k over {-1,1}^m (closed orthants of the output columns); points decided in 'order'; "
        "each neuron's bits a prefix of a hyperplane dichotomy of the data; (sigma_j, bits_j) "
        "non-decreasing in j (lexicographic)")

Key = tuple[tuple[Sign, ...], tuple[str, ...]]
LEAF_SECONDS = 120.0  # Z3's time for re-deciding one full pattern


def build(instance: Instance, order: tuple[int, ...], refuted: list[dict[str, Any]],
          nonlinear: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": FORMAT, "instance": instance.name, "hidden": instance.shape.hidden,
            "order": list(order), "rule": RULE, "refuted": refuted, "nonlinear": nonlinear}


def check(instance: Instance, doc: Any, source: str, leaf_seconds: float = LEAF_SECONDS) -> tuple[list[str], int, int]:
    """Problems with the certificate `doc` read from `source` (empty: valid), #Farkas
    certificates, #full patterns re-decided."""
    try:
        order = tuple(json_integer(p) for p in doc["order"])
        refuted = {_key(entry): (json_integer(entry["output"]), [read_rational(v) for v in entry["farkas"]])
                   for entry in doc["refuted"]}
        nonlinear = {_key(entry) for entry in doc["nonlinear"]}
        hidden = json_integer(doc.get("hidden", instance.shape.hidden))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InputError(f"{source}: not a readable {FORMAT} certificate ({error})") from None
    if sorted(order) != list(range(instance.n)):
        return [f"{source}: order is not a permutation of the {instance.n} points"], 0, 0
    if hidden != instance.shape.hidden:
        return [f"{source}: certificate for {hidden} hidden neurons, the instance has {instance.shape.hidden}"], 0, 0
    problems: list[str] = []
    trie = Trie(instance.points, order)
    points = Points.of(instance)
    used_farkas: set[Key] = set()
    used_nonlinear: set[Key] = set()
    budget = (len(refuted) + len(nonlinear) + 1) * (instance.n + 1)  # nodes of a tree with these leaves
    for signs in sign_choices(instance.shape.hidden, instance.shape.outputs):
        stack: list[Prefixes] = [tuple(() for _ in signs)]
        while stack and len(problems) <= 20:
            budget -= 1
            if budget < 0:
                return problems + [f"{source}: the listed patterns do not cover the search tree"], 0, 0
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
                if key not in nonlinear:
                    problems.append(f"full pattern {key} is neither refuted nor decided")
                elif instance.shape.outputs == 1:
                    problems.append(f"full pattern {key}: with one output it is linear and needs a Farkas certificate")
                elif (answer := backends.get("z3").check(full_pattern_system(points, signs, order, prefixes),
                                                         leaf_seconds).status) != "unsat":
                    problems.append(f"full pattern {key} listed as refuted: Z3 re-decides it {answer}")
                else:
                    used_nonlinear.add(key)
                continue
            stack += [tuple(p + (b,) for p, b in zip(prefixes, bits)) for bits in children(signs, prefixes, trie)]
    return problems, len(used_farkas), len(used_nonlinear)


def _key(entry: dict[str, Any]) -> Key:
    return tuple(tuple(json_integer(v) for v in s) for s in entry["signs"]), tuple(str(b) for b in entry["bits"])
