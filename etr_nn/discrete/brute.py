"""Brute force: every assignment of the set's values to the k(d+1) + m(k+1) weights.

|S|^{k(d+1)+m(k+1)} networks, each checked by the exact loss of etr_nn.certify; no
symmetry, scaling or pruning, so it shares nothing with the other methods but the
certifier. For tests and tiny instances only.
"""

from __future__ import annotations

from itertools import product

from etr_nn.deadline import Deadline
from etr_nn.certify import loss
from etr_nn.discrete.common import Outcome
from etr_nn.instance import Instance
from etr_nn.network import Network


def weight_count(instance: Instance) -> int:
    d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs
    return k * (d + 1) + m * (k + 1)


def solve(instance: Instance, deadline: Deadline) -> Outcome:
    """The first network (in lexicographic order of W, b, A, c) with loss ≤ max_error."""
    assert instance.weights is not None
    d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs
    count = 0
    for count, values in enumerate(product(instance.weights, repeat=weight_count(instance)), 1):
        if count % 1024 == 0 and deadline.passed():
            return Outcome("unknown", reason=f"exhaustive enumeration: time limit after {count} networks")
        W = [values[j * d:(j + 1) * d] for j in range(k)]
        rest = values[k * d:]
        A = [rest[k + o * k:k + (o + 1) * k] for o in range(m)]
        network = Network.build(W, rest[:k], A, rest[k + m * k:])
        if loss(instance, network) <= instance.max_error:
            return Outcome("sat", network, reason=f"exhaustive enumeration (network {count})")
    return Outcome("unsat", reason=f"exhaustive enumeration: all {count} = {len(instance.weights)}^"
                   f"{weight_count(instance)} networks have loss > {instance.max_error}")
