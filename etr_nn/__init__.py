"""etr_nn: exact training of two-layer ReLU networks.

    >>> from etr_nn import load, solve
    >>> answer = solve(load("encodings/xor-k2.json"))   # doctest: +SKIP
    >>> answer.status, answer.verified                   # doctest: +SKIP
    ('sat', True)
"""

from etr_nn.certify import certify
from etr_nn.instance import Instance, Shape, load
from etr_nn.network import Network
from etr_nn.solution import Solution
from etr_nn.solve import solve

__all__ = ["Instance", "Network", "Shape", "Solution", "certify", "load", "solve"]
