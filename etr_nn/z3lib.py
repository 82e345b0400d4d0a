"""Z3, imported once with the project's settings: every module takes `z3` from here.

Z3's memory is capped (Z3_MEGABYTES): past it a check answers unknown ("out of memory")
instead of growing without bound (measured: the direct encoding of a 6-point, 2-ReLU,
2-output instance with max_error 1/2 reached 1.4 GB in 30 s and 4 GB in two minutes).
"""

import z3

from etr_nn.limits import Z3_MEGABYTES

z3.set_param("memory_max_size", Z3_MEGABYTES)

__all__ = ["z3"]
